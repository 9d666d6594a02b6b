"""What a list says about itself in the mail it sends (`listhaven.mail.identity.ListIdentity`),
built from its `MailingList` row and the site's URL."""

from __future__ import annotations

from dataclasses import replace

from django.urls import reverse

from listhaven.lists.models import MailingList
from listhaven.lists.policies import members_read_archive
from listhaven.mail.decorate import Mitigation
from listhaven.mail.identity import ListIdentity, ReplyTo
from listhaven.site.public_urls import list_url, message_url, site_url

# Mailman 2's footer, the one under the seed's message: who the list is, where to learn more.
DEFAULT_FOOTER = (
    "_______________________________________________\n"
    "{list_name} mailing list\n"
    "{list_address}\n"
    "{listinfo_url}\n"
    "Unsubscribe: {unsubscribe_url}\n"
)

MITIGATIONS = {"off": Mitigation.NONE, "munge": Mitigation.MUNGE_FROM, "wrap": Mitigation.WRAP}


def identity_for(mlist: MailingList) -> ListIdentity:
    """The list as its mail names it. An archive its members may not read (owners only) is not
    linked (no List-Archive, an empty {archive_url}): the links would lead members to a 404, and a
    forwarded copy would carry them further."""
    return ListIdentity(
        address=mlist.address,
        display_name=mlist.title,
        subject_tag=mlist.subject_tag,
        description=" ".join(mlist.description.split())[:200],
        listinfo_url=site_url(reverse("listinfo", kwargs={"list_name": mlist.name})),
        archive_url=list_url(mlist.name) if members_read_archive(mlist.archive_policy) else "",
        options_url=site_url(f"/{mlist.name}/options/"),  # the members' options page (DESIGN.md's URLs)
        footer=mlist.footer or DEFAULT_FOOTER,
        reply_to=ReplyTo(mlist.reply_to),
        reply_to_address=mlist.reply_to_address,
    )


def archive_identity(identity: ListIdentity) -> ListIdentity:
    """The identity the archive's copy is decorated with: no footer (see lists/pipeline.py)."""
    return replace(identity, footer="")


def archived_at(mlist: MailingList, public_id: str) -> str:
    """The archive page of a message (`Archived-At`); "" (no field) when members may not read the archive."""
    return message_url(mlist.name, public_id) if members_read_archive(mlist.archive_policy) else ""
