"""Who may do what: the ONE module every endpoint asks (pages, search, API, feeds, exports, raw,
the owners' and moderators' pages and every POST they receive).

A user's identity is one address (`User.email`); their role on a list is the highest role a
Member row gives that address (lists.addresses normalises both sides the same way), so a roster
imported from Mailman needs no accounts. Site administrators (staff or superuser) count as owners
everywhere. A list the user may not read is indistinguishable from one that does not exist: 404
either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils.functional import SimpleLazyObject

from listhaven.lists.addresses import InvalidAddress, canonical_address
from listhaven.lists.models import MailingList, Member
from listhaven.lists.post import Role
from listhaven.web.prepared import Prepared

T = TypeVar("T")

# Highest first: an address with several rows on a list holds the first of these it has.
ROLE_ORDER = (Role.OWNER, Role.MODERATOR, Role.MEMBER)
READERS = frozenset(ROLE_ORDER)
MODERATORS = frozenset({Role.OWNER, Role.MODERATOR})
# Who may read an archive under each MailingList.archive_policy (site administrators always may).
ARCHIVE_READERS: dict[str, frozenset[Role]] = {
    "public": READERS,
    "members": READERS,
    "owners": frozenset({Role.OWNER}),
}


# The columns the archive's pages read. The list server's settings (some forty columns, JSON ones
# among them) are deferred: building them cost every archive page about a millisecond of CPU,
# a tenth of a rendered overview. A view that reads one anyway loads it with one query.
ARCHIVE_FIELDS = (
    "id", "name", "address", "display_name", "description", "info", "subject_tag", "archive_policy",
    "obfuscate_addresses", "next_archive_number", "archive_version", "archive_changed_at", "created_at",
)  # fmt: skip


def signed_in(request: HttpRequest) -> bool:
    """Whether someone is signed in on this request. While the user is still the lazy one the
    authentication middleware set and the session is empty (no session cookie, nothing stored
    during this request), nobody is: answered without loading the session and the user, some 40
    Python calls on each page an anonymous reader asks for. A user a view set itself (signing in,
    an API token) is asked."""
    user = getattr(request, "user", None)
    if user is None:
        return False
    session = getattr(request, "session", None)
    if type(user) is SimpleLazyObject and session is not None and session.is_empty():
        return False
    return bool(user.is_authenticated)


def _user(who: Any) -> Any:
    """A request's user (None when nobody is signed in on it), or the user itself."""
    if isinstance(who, HttpRequest):
        return who.user if signed_in(who) else None
    return getattr(who, "user", who)


def is_site_admin(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))


def user_address(user: Any) -> str | None:
    """The address an account stands for, as Member rows store it; None for anonymous users."""
    if user is None or not user.is_authenticated or not user.is_active or not user.email:
        return None
    try:
        return canonical_address(user.email)
    except InvalidAddress:
        return None


def role_of(who: Any, mlist: MailingList) -> Role | None:
    """The user's role on `mlist` (site administrators: owner); None for no role (non-member)."""
    user = _user(who)
    if is_site_admin(user):
        return Role.OWNER
    address = user_address(user)
    if address is None:
        return None
    cache = getattr(user, "_listhaven_roles", None)
    if cache is None:
        cache = {}
        user._listhaven_roles = cache  # one query per list per request
    if mlist.pk not in cache:
        held = set(Member.objects.filter(mailing_list=mlist, address=address).values_list("role", flat=True))
        cache[mlist.pk] = next((role for role in ROLE_ORDER if role in held), None)
    return cache[mlist.pk]


def can_read(request: HttpRequest | Any, mlist: MailingList) -> bool:
    """The archive and list pages, by the list's archive policy: everyone (public); members,
    moderators and owners (members); owners only (owners)."""
    if mlist.archive_policy == "public":
        return True
    return role_of(request, mlist) in ARCHIVE_READERS.get(mlist.archive_policy, frozenset())


def can_post(request: HttpRequest | Any, mlist: MailingList) -> bool:
    return role_of(request, mlist) in READERS


def can_moderate(request: HttpRequest | Any, mlist: MailingList) -> bool:
    """Held posts, bans: owners, moderators, site administrators."""
    return role_of(request, mlist) in MODERATORS


def can_administer(request: HttpRequest | Any, mlist: MailingList) -> bool:
    """Settings and the roster: owners and site administrators."""
    return role_of(request, mlist) == Role.OWNER


def may_see_manage_pages(request: HttpRequest | Any, mlist: MailingList) -> bool:
    """Whether the owners' and moderators' pages of `mlist` (and the API's) answer this user at all;
    for anyone else they answer 404, as for a list that does not exist. Those who may read the archive,
    and those who run the list even where its archive is its owners' alone (its moderators, who
    decide held posts without reading the archive). What each page then needs is asked apart (403)."""
    return can_read(request, mlist) or can_moderate(request, mlist)


def can_erase(request: HttpRequest | Any, mlist: MailingList) -> bool:
    """Erasing a person's address from this list (its roster, held posts, queue and the address in
    its archive; lists/erasure.py with the list as scope): owners and site administrators, not
    moderators, who decide posts but not what the list keeps. Every list at once (and the account)
    is the site administrators' (`can_administer_site`); whose address an owner may erase,
    `erasure_refusal`."""
    return role_of(request, mlist) == Role.OWNER


def erasure_refusal(request: HttpRequest | Any, mlist: MailingList, address: str) -> str:
    """Why this user may not erase `address` from `mlist` ("" when they may). An erasure cannot be
    undone (memberships deleted, posts anonymised, hidden or purged), so a list owner erases only
    the list's members and outsiders: an owner or moderator of the list (the owner themselves
    included) and the address of a site administrator's account are for a site administrator,
    who may erase anyone (on the list's page as on /manage/erase/)."""
    if not can_erase(request, mlist):
        return "Only the list's owners and the site administrators may erase an address from it."
    if is_site_admin(_user(request)):
        return ""
    try:
        canonical = canonical_address(address)
    except InvalidAddress:
        return ""  # not an address: the form says so
    role = Member.objects.filter(mailing_list=mlist, address__iexact=canonical, role__in=list(MODERATORS))
    if role.exists():
        return (f"{canonical} is an owner or moderator of this list. Only a site administrator may erase the address "
                "of someone who runs the list: ask one to do it on the site's erasure page.")  # fmt: skip
    staff = get_user_model().objects.filter(Q(is_staff=True) | Q(is_superuser=True), email__iexact=canonical)
    if staff.exists():
        return (f"{canonical} is the address of a site administrator's account. Only a site administrator may erase "
                "it: ask one to do it on the site's erasure page.")  # fmt: skip
    return ""


def can_administer_site(request: HttpRequest | Any) -> bool:
    """Creating and removing lists, the outbox, the quarantine: site administrators."""
    return is_site_admin(_user(request))


def require_site_administrator(request: HttpRequest) -> None:
    """Http404 for anyone else: a page they may not see looks like one that does not exist."""
    if not can_administer_site(request):
        raise Http404("No such page.")


def managed_lists(request: HttpRequest | Any):
    """The lists this user moderates or owns (every list for a site administrator)."""
    user = _user(request)
    if is_site_admin(user):
        return MailingList.objects.all()
    address = user_address(user)
    if address is None:
        return MailingList.objects.none()
    ids = Member.objects.filter(address=address, role__in=list(MODERATORS)).values("mailing_list")
    return MailingList.objects.filter(pk__in=ids)


def not_found(list_name: str) -> Http404:
    """The one answer for a list that does not exist and for one this reader may not read."""
    return Http404(f"No list named “{list_name}” here.")


# The list row of every archive page, compiled once (web/prepared.py): building this query through
# the ORM on each page cost about 900 Python function calls, a twentieth of a rendered message page.
_LIST_BY_NAME = Prepared(lambda name: MailingList.objects.filter(name=name).only(*ARCHIVE_FIELDS)[:1], "")


def get_readable_list(request: HttpRequest, list_name: str) -> MailingList:
    """The list named in the URL when this reader may see it; Http404 otherwise."""
    found = _LIST_BY_NAME.rows(list_name)
    mlist = found[0] if found else None
    if mlist is None or not admit(request, mlist):
        raise not_found(list_name)
    request.__dict__["listhaven_list"] = mlist  # for web/page_cache.archive_page
    return mlist


def admit(request: HttpRequest, mlist: MailingList) -> bool:
    """Whether this reader may read `mlist` (`can_read`), for a view that found the list its own way
    (by address: HyperKitty's links, /ADDRESS/...). When they may and the archive is not public, the
    response is marked as get_readable_list marks it: private, and kept out of search engines."""
    if not can_read(request, mlist):
        return False
    if mlist.archive_policy != "public":
        # Read by site/middleware.py: no shared cache may keep anything of this response.
        request.__dict__["listhaven_private"] = True
    return True


def get_list_by_proof(
    request: HttpRequest, list_name: str, proof: Callable[[MailingList], T | None]
) -> tuple[MailingList, T | None]:
    """The list named in the URL of a page reached through a link mailed to one address (one-click
    unsubscribe, re-enabling delivery, the options link and page): `proof(mlist)` (a valid token, an address
    proven by one) lets its holder in whatever the archive policy, since members of a private list must be
    able to leave it. Without proof, a list this reader may not read answers as one that does not exist."""
    mlist = MailingList.objects.filter(name=list_name).first()
    if mlist is None:
        raise not_found(list_name)
    found = proof(mlist)
    if found is None and not can_read(request, mlist):
        raise not_found(list_name)
    if mlist.archive_policy != "public":
        request.__dict__["listhaven_private"] = True  # as get_readable_list: no shared cache keeps it
    if found is not None:
        mark_personal(request)  # the page names the address the proof is for
    return mlist, found


def mark_personal(request: HttpRequest) -> None:
    """This response shows one person's own data (their address and options, what a link mailed to
    them does, their data download): site/middleware.py answers it `private, no-store` whatever the
    list, so neither a shared cache nor the browser's disk keeps it."""
    request.__dict__["listhaven_personal"] = True


# The columns the front page shows of each list.
INDEX_FIELDS = ("id", "name", "address", "display_name", "description", "archive_policy", "next_archive_number", "created_at")
_LISTS_BY_POLICY = Prepared(lambda policy: MailingList.objects.filter(archive_policy=policy).only(*INDEX_FIELDS), "public")


def readable_lists_for_index(request: HttpRequest) -> list[MailingList]:
    """`readable_lists(request)` with INDEX_FIELDS loaded; for a reader nobody is signed in as (the
    public lists), by a query compiled once."""
    if _user(request) is None:
        return _LISTS_BY_POLICY.rows("public")
    return list(readable_lists(request).only(*INDEX_FIELDS))


def readable_lists(request: HttpRequest):
    """Every list this reader may see (for the index, cross-list search and the API)."""
    lists = MailingList.objects.all()
    user = _user(request)
    if is_site_admin(user):
        return lists
    visible = Q(archive_policy="public")
    address = user_address(user)
    if address is not None:
        for policy, roles in ARCHIVE_READERS.items():
            if policy != "public":
                holders = Member.objects.filter(address=address, role__in=list(roles)).values("mailing_list")
                visible |= Q(archive_policy=policy, pk__in=holders)
    return lists.filter(visible)
