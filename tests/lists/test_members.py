"""Members: the service and `listhaven members`, against a real store."""

from __future__ import annotations

import json

import pytest

from listhaven.cli import CommandError, build_parser
from listhaven.lists.directory import create_list
from listhaven.lists.members import (
    add_member,
    add_members,
    find_member,
    remove_members,
    roster,
    set_nonmember_action,
)
from listhaven.lists.models import Member
from listhaven.lists.post import Role
from listhaven.lists.standing import standing_for

LIST = "garden@lists.example.org"


@pytest.fixture
def mlist(db):
    return create_list(LIST)


def run(*argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return args.handler(args)


def test_add_reports_added_existing_and_invalid(mlist):
    report = add_members(mlist, ["Ann Example <ann@EXAMPLE.org>", "bob@example.net", "not an address"])
    assert report.added == ["ann@example.org", "bob@example.net"]
    assert report.invalid[0][0] == "not an address"
    again = add_members(mlist, ["ann@example.ORG"])
    assert (again.added, again.existing) == ([], ["ann@example.org"])
    assert Member.objects.get(address="ann@example.org").display_name == "Ann Example"


def test_add_refuses_a_name_a_member_could_not_give_and_adds_nobody_under_it(mlist):
    long = "B" * 201
    report = add_members(mlist, ['"Ann\tExample" <ann@example.org>', f"{long} <bob@example.org>", "cid@example.org"])
    assert report.added == ["cid@example.org"]
    assert [(entry.split("<")[1], why) for entry, why in report.invalid] == [
        ("ann@example.org>", "a name may not hold control characters or line breaks"),
        ("bob@example.org>", "a name has at most 200 characters (this one has 201)"),
    ]
    assert list(Member.objects.values_list("address", flat=True)) == ["cid@example.org"]


def test_the_domain_is_compared_without_case_the_local_part_with_it(mlist):
    add_member(mlist, "Ann@Example.org")
    assert find_member(mlist, "Ann@EXAMPLE.ORG") is not None
    assert find_member(mlist, "ann@example.org") is None


def test_one_address_may_hold_several_roles(mlist):
    add_member(mlist, "ann@example.org", role=Role.OWNER)
    add_member(mlist, "ann@example.org", role=Role.MEMBER, moderated=True)
    standing = standing_for(mlist, "ann@example.org")
    assert standing.roles == {Role.OWNER, Role.MEMBER} and standing.moderated
    assert [m.role for m in roster(mlist)] == ["owner", "member"]


def test_nonmember_action_rows(mlist):
    set_nonmember_action(mlist, "zed@elsewhere.example", "discard")
    standing = standing_for(mlist, "zed@elsewhere.example")
    assert standing.roles == frozenset() and standing.action == "discard"
    with pytest.raises(ValueError):
        set_nonmember_action(mlist, "zed@elsewhere.example", "maybe")


def test_remove(mlist):
    add_members(mlist, ["ann@example.org", "bob@example.net"])
    report = remove_members(mlist, ["ANN@example.org", "ann@EXAMPLE.org", "carol@example.com"])
    assert report.removed == ["ann@example.org"]
    assert report.missing == ["ANN@example.org", "carol@example.com"]  # the local part keeps its case


def test_cli_add_from_arguments_and_file_then_show_json(mlist, tmp_path, capsys):
    roster_file = tmp_path / "members.txt"
    roster_file.write_text("# the garden club\nCarol <carol@example.com>\n\ndave@example.com\n", encoding="utf-8")
    assert run("members", "add", "garden", "ann@example.org", "--file", str(roster_file)) == 0
    assert run("members", "add", "garden", "owner@example.org", "--role", "owner") == 0
    assert run("members", "add", "garden", "eve@example.org", "--moderated") == 0
    capsys.readouterr()
    assert run("members", "garden", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert [(m["address"], m["role"], m["moderated"]) for m in shown["members"]] == [
        ("owner@example.org", "owner", False), ("ann@example.org", "member", False),
        ("carol@example.com", "member", False), ("dave@example.com", "member", False),
        ("eve@example.org", "member", True),
    ]  # fmt: skip
    assert shown["members"][2]["display_name"] == "Carol"


def test_cli_remove_and_refusals(mlist, capsys):
    run("members", "add", "garden", "ann@example.org", "bob@example.net")
    capsys.readouterr()
    assert run("members", "add", "garden", "ann@", "--json") == 1  # an invalid address: reported, status 1
    assert json.loads(capsys.readouterr().out)["invalid"][0]["given"] == "ann@"
    assert run("members", "remove", "garden", "bob@example.net") == 0
    assert run("members", "remove", "garden", "bob@example.net") == 1
    assert [m.address for m in roster(mlist)] == ["ann@example.org"]
    with pytest.raises(CommandError):
        run("members", "nosuchlist")
    with pytest.raises(CommandError):
        run("members", "add", "garden")
