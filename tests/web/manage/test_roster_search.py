"""The roster search on /manage/LIST/members/: a case-insensitive prefix of the address or the name
(from the indexes), the substring search when nothing starts with the text, filters kept, other lists
never reached; the count stops at COUNT_CAP and the page says so."""

from __future__ import annotations

import re

from listhaven.lists.members import add_members
from listhaven.lists.models import Member
from listhaven.web.manage.roster_search import COUNT_CAP


def rows_of(html: str) -> list[str]:
    """The roster's addresses, without the <wbr> an address may break at."""
    return re.findall(r'href="/manage/\w+/members/\d+/">([^<]+)</a>', html.replace("<wbr>", ""))


def test_prefix_of_address_or_name_ignoring_case(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    add_members(garden, ["Zoe Smith <Zoe.Smith@Example.org>", "Zoltan Kodaly <zk@example.net>", "Ann <ann@zoo.example>"])
    add_members(lists_with_roles["secret"], ["Zoe Other <zoe.other@example.org>"])
    client = client_as("owner")
    assert rows_of(client.get("/manage/garden/members/", {"q": "ZOE.s"}).content.decode()) == ["Zoe.Smith@example.org"]
    by_name = rows_of(client.get("/manage/garden/members/", {"q": "zo"}).content.decode())
    assert by_name == ["Zoe.Smith@example.org", "zk@example.net"]  # address order; the other list's Zoe is not here
    page = client.get("/manage/garden/members/", {"q": "zo", "role": "owner"}).content.decode()
    assert rows_of(page) == [] and "No member matches" in page


def test_substring_when_nothing_starts_with_the_text(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    add_members(garden, ["Zoe Smith <zoe@example.org>", "Bob <bob@smithy.example>"])
    page = client_as("owner").get("/manage/garden/members/", {"q": "smith"}).content.decode()
    assert rows_of(page) == ["bob@smithy.example", "zoe@example.org"]
    assert "No address or name starts with “smith”: these contain it." in page


def test_the_count_stops_at_the_cap(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    Member.objects.bulk_create([Member(mailing_list=garden, address=f"m{n:05d}@example.com") for n in range(COUNT_CAP + 10)],
                               batch_size=2000)  # fmt: skip
    client = client_as("owner")
    page = client.get("/manage/garden/members/").content.decode()
    assert f"more than {COUNT_CAP} found" in page and f"Only the first {COUNT_CAP} can be paged through" in page
    last = client.get("/manage/garden/members/", {"page": COUNT_CAP // 50}).content.decode()
    assert rows_of(last)[-1] == f"m{COUNT_CAP - 1:05d}@example.com"  # the 5,000th in address order
    few = client.get("/manage/garden/members/", {"q": "m0001"}).content.decode()
    assert "10 found" in few and "more than" not in few


def test_each_row_shows_the_members_labels_and_links_to_the_member(client_as, lists_with_roles):
    garden = lists_with_roles["garden"]
    add_members(garden, ["Quinn <quinn@example.org>"])
    quinn = Member.objects.get(mailing_list=garden, address="quinn@example.org")
    quinn.delivery_mode, quinn.delivery_status, quinn.role = "mime_digest", "by_bounces", "moderator"
    quinn.save()
    page = client_as("owner").get("/manage/garden/members/", {"q": "quinn"}).content.decode().replace("<wbr>", "")
    cells = re.search(rf'<a href="/manage/garden/members/{quinn.pk}/">quinn@example.org</a></span></td>(.*?)</tr>', page)
    assert cells is not None
    assert cells.group(1) == (f"<td>Quinn</td><td>{quinn.get_role_display()}</td><td>{quinn.get_delivery_mode_display()}</td>"
                              f"<td>{quinn.get_delivery_status_display()}</td><td>not moderated</td>")  # fmt: skip
    assert client_as("owner").get(f"/manage/garden/members/{quinn.pk}/").status_code == 200
