"""`listhaven createadmin`: the administrator it makes signs in on /accounts/login/, whose field is
"Email address", so the address is required (as sign-in links and password resets go to it). It
was optional: an administrator made without one had to type its user name into that field."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
import time

import pytest
from django.contrib.auth import get_user_model

from listhaven.cli import CommandError, build_parser
from tests.support.databases import store_env, store_rows

pytestmark = pytest.mark.django_db


def createadmin(monkeypatch, *options: str, password: str = "a-long-passphrase") -> None:
    """The command as a script runs it: no terminal, the password on standard input."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    argv = ["createadmin", *options]
    args = build_parser(argv).parse_args(argv)
    args.handler(args)


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ((), "give --username, --email and the password"),
        (("--email", ""), "give --username, --email and the password"),
        (("--email", "  "), "give --username, --email and the password"),
        (("--email", "keeper"), "'keeper' is not an email address"),
        (("--email", "keeper@"), "'keeper@' is not an email address"),
    ],
)
def test_an_administrator_without_a_usable_address_is_refused(monkeypatch, options, said):
    with pytest.raises(CommandError, match=said):
        createadmin(monkeypatch, "--username", "keeper", *options)
    assert not get_user_model().objects.exists()


def member_who_signed_in_by_a_link(address: str = "olive@lists.example.org"):
    """The account the sign-in link page makes for a member: its address as its name, no password."""
    user = get_user_model().objects.create_user(address, address)
    user.set_unusable_password()
    user.save()
    return user


def test_an_existing_account_is_made_the_administrator_keeping_no_password(monkeypatch, capsys):
    """It was refused ("give another address"): a list owner who signed up on the web could not be made
    an administrator but by a second account with another address."""
    member = member_who_signed_in_by_a_link()
    createadmin(monkeypatch, "--email", "Olive@Lists.example.org", password="")
    said = capsys.readouterr().out
    assert "account olive@lists.example.org (olive@lists.example.org) is now an administrator" in said
    assert "by a link mailed to it" in said
    (admin,) = get_user_model().objects.all()
    assert admin.pk == member.pk
    assert (admin.is_staff, admin.is_superuser, admin.has_usable_password()) == (True, True, False)


def test_an_existing_account_keeps_its_password_unless_one_is_given(monkeypatch, client, capsys):
    get_user_model().objects.create_user("olive", "olive@lists.example.org", "her-own-passphrase")
    createadmin(monkeypatch, "--email", "olive@lists.example.org", password="")
    assert "is now an administrator; it signs in with its password, unchanged" in capsys.readouterr().out
    admin = get_user_model().objects.get()
    assert admin.check_password("her-own-passphrase") and admin.is_superuser
    createadmin(monkeypatch, "--email", "olive@lists.example.org", "--username", "olive", password="a-newer-passphrase")
    assert "was an administrator already; it signs in with its new password" in capsys.readouterr().out
    signed = client.post("/accounts/login/", {"username": "olive@lists.example.org", "password": "a-newer-passphrase"})
    assert signed.status_code == 302, signed.content.decode()[:2000]
    assert client.get("/manage/outbox/").status_code == 200


def test_another_user_name_for_an_existing_address_is_refused(monkeypatch):
    """Sign-in finds the account by its address: two accounts with one address would be a guess."""
    member_who_signed_in_by_a_link()
    taken = "the account 'olive@lists.example.org' has the address olive@lists.example.org already: leave out --username"
    with pytest.raises(CommandError, match=re.escape(taken)):
        createadmin(monkeypatch, "--username", "keeper", "--email", "olive@lists.example.org")
    assert get_user_model().objects.count() == 1
    assert not get_user_model().objects.filter(is_superuser=True).exists()


WEAK = [
    ("short1", "This password is too short. It must contain at least 8 characters."),
    ("12345678901", "This password is entirely numeric."),
    ("password123", "This password is too common."),
    ("keeper-example", "The password is too similar to the email address."),
]


@pytest.mark.parametrize(("password", "said"), WEAK)
def test_a_password_from_a_script_is_checked_by_the_validators(monkeypatch, password, said):
    """The terminal's prompt (Django's createsuperuser) ran the validators, but the site named none, and
    a password from a script was not checked at all: an administrator could be made with "1"."""
    with pytest.raises(CommandError, match="password refused: .*" + re.escape(said)):
        createadmin(monkeypatch, "--username", "keeper", "--email", "keeper@example.org", password=password)
    assert not get_user_model().objects.exists()


def test_a_weak_password_for_an_existing_account_is_refused_and_it_is_not_promoted(monkeypatch):
    get_user_model().objects.create_user("olive", "olive@lists.example.org", "her-own-passphrase")
    with pytest.raises(CommandError, match=re.escape("password refused: This password is too short.")):
        createadmin(monkeypatch, "--email", "olive@lists.example.org", password="short")
    olive = get_user_model().objects.get()
    assert (olive.is_superuser, olive.check_password("her-own-passphrase")) == (False, True)


def test_the_administrator_signs_in_with_the_address_it_was_given(monkeypatch, client, capsys):
    createadmin(monkeypatch, "--username", "keeper", "--email", "keeper@example.org")
    said = capsys.readouterr().out
    assert "administrator keeper created; it signs in with keeper@example.org" in said
    admin = get_user_model().objects.get(username="keeper")
    assert (admin.email, admin.is_superuser, admin.is_staff) == ("keeper@example.org", True, True)
    page = client.get("/accounts/login/")
    assert "Email address" in page.content.decode()
    signed = client.post("/accounts/login/", {"username": "keeper@example.org", "password": "a-long-passphrase"})
    assert signed.status_code == 302, signed.content.decode()[:2000]
    assert client.get("/manage/outbox/").status_code == 200


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a terminal")
def test_on_a_terminal_an_empty_address_is_asked_again(tmp_path):
    """On a terminal Django's createsuperuser took an empty "Email address:" answer; now the address is
    asked first, again after an empty or malformed one; a password the validators refuse is asked again,
    refused in the words a script's is."""
    main, side = pty.openpty()
    command = [sys.executable, "-m", "listhaven", "--data-dir", str(tmp_path), "createadmin", "--username", "keeper"]
    process = subprocess.Popen(command, stdin=side, stdout=side, stderr=side, env=store_env(tmp_path), close_fds=True)
    os.close(side)
    seen = b""
    read_to = 0  # each text is looked for after the one before: "Password: " comes twice

    def until(text: bytes) -> None:
        nonlocal seen, read_to
        deadline = time.monotonic() + 60
        while text not in seen[read_to:]:
            left = deadline - time.monotonic()
            assert left > 0, seen.decode(errors="replace")
            if select.select([main], [], [], min(left, 1))[0]:
                try:
                    seen += os.read(main, 4096)
                except OSError:  # the command ended and its terminal closed
                    raise AssertionError(seen.decode(errors="replace")) from None
        read_to = seen.index(text, read_to) + len(text)

    try:
        until(b"Email address (the administrator signs in with it): ")
        os.write(main, b"\n")
        until(b"an address is required")
        until(b"Email address (the administrator signs in with it): ")
        os.write(main, b"keeper\n")
        until(b"'keeper' is not an email address")
        os.write(main, b"keeper@example.org\n")
        until(b"Password: ")
        os.write(main, b"short1\n")
        until(b"Password (again): ")
        os.write(main, b"short1\n")
        until(b"password refused: This password is too short. It must contain at least 8 characters.")
        until(b"Password: ")
        os.write(main, b"a-long-passphrase-9\n")
        until(b"Password (again): ")
        os.write(main, b"a-long-passphrase-9\n")
        until(b"administrator keeper created; it signs in with keeper@example.org")
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
    assert store_rows(tmp_path, "SELECT username, email, is_superuser FROM auth_user") == [("keeper", "keeper@example.org", 1)]
