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

from typing import ClassVar, Protocol

from listhaven.mail.obfuscation import obfuscate_address, obfuscate_text


class ObfuscationSetting(Protocol):
    """What a list (the Django model) says about showing addresses."""

    @property
    def obfuscate_addresses(self) -> bool: ...


class Presenter:
    """Shows addresses as written, or Pipermail's way (``user at example.com``). There is one
    instance per way, so equal presenters are the same object: hashed and compared by identity,
    which costs a cache of rendered text keyed on it (web/bodies.py) no Python call per look-up,
    where a dataclass's generated ``__hash__`` and ``__eq__`` cost two per body shown."""

    __slots__ = ("obfuscates",)
    obfuscates: bool
    _ways: ClassVar[dict[bool, Presenter]] = {}

    def __new__(cls, obfuscates: bool = True) -> Presenter:
        way = cls._ways.get(bool(obfuscates))
        if way is None:
            way = super().__new__(cls)
            object.__setattr__(way, "obfuscates", bool(obfuscates))
            cls._ways[way.obfuscates] = way
        return way

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a Presenter does not change")

    def __repr__(self) -> str:
        return f"Presenter(obfuscates={self.obfuscates})"

    def __reduce__(self) -> tuple[type[Presenter], tuple[bool]]:
        return (Presenter, (self.obfuscates,))

    @classmethod
    def for_list(cls, mlist: ObfuscationSetting) -> Presenter:
        return cls._ways[bool(mlist.obfuscate_addresses)]

    def address(self, email: str) -> str:
        """One address (a header's), not escaped."""
        return obfuscate_address(email) if self.obfuscates else email

    def text(self, text: str) -> str:
        """Free text (a display name, a subject, a body, a snippet) with every address in it shown."""
        return obfuscate_text(text) if self.obfuscates else text

    def author(self, name: str, email: str) -> str:
        """Who wrote a message, as lists of messages show it: the name, else the address ('' if neither).
        (`text` and `address` written out: lists of messages call this once a row.)"""
        name = name.strip()
        if not self.obfuscates:
            return name or email.strip()
        if name:
            return obfuscate_text(name) if "@" in name else name  # most names hold no address
        return obfuscate_address(email.strip())


OBFUSCATING = Presenter(obfuscates=True)  # the default where no list is at hand: the safe choice
AS_WRITTEN = Presenter(obfuscates=False)
