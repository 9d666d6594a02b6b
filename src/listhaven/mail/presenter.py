"""How a list shows its posters to the world: the one place that applies a list's obfuscation setting.

Pages, search results, feeds, the JSON API and Pipermail-text exports all take a `Presenter`
from `Presenter.for_list(mlist)` and ask it how to show an address, a name or a text; none of
them reads the setting itself. (How an address is obfuscated is listhaven.mail.obfuscation.)

>>> shown = Presenter(obfuscates=True)
>>> shown.address("jo@example.org"), shown.author("", "jo@example.org"), shown.author("jo@x.org", "")
('jo at example.org', 'jo at example.org', 'jo at x.org')
>>> Presenter(obfuscates=False).text("mail jo@example.org")
'mail jo@example.org'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from listhaven.mail.obfuscation import obfuscate_address, obfuscate_text


class ObfuscationSetting(Protocol):
    """What a list (the Django model) says about showing addresses."""

    @property
    def obfuscate_addresses(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class Presenter:
    """Shows addresses as written, or Pipermail's way (``user at example.com``). Hashable, so
    caches of rendered text can key on it."""

    obfuscates: bool = True

    @classmethod
    def for_list(cls, mlist: ObfuscationSetting) -> Presenter:
        return cls(obfuscates=bool(mlist.obfuscate_addresses))

    def address(self, email: str) -> str:
        """One address (a header's), not escaped."""
        return obfuscate_address(email) if self.obfuscates else email

    def text(self, text: str) -> str:
        """Free text (a display name, a subject, a body, a snippet) with every address in it shown."""
        return obfuscate_text(text) if self.obfuscates else text

    def author(self, name: str, email: str) -> str:
        """Who wrote a message, as lists of messages show it: the name, else the address ('' if neither)."""
        return self.text(name.strip()) or self.address(email.strip())


OBFUSCATING = Presenter(obfuscates=True)  # the default where no list is at hand: the safe choice
