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


def test_an_address_another_account_has_is_refused(monkeypatch):
    """Sign-in finds the account by its address: two accounts with one address would be a guess."""
    get_user_model().objects.create_user("olive@lists.example.org", "Olive@Lists.example.org")
    taken = "the account 'olive@lists.example.org' has the address olive@lists.example.org already"
    with pytest.raises(CommandError, match=re.escape(taken)):
        createadmin(monkeypatch, "--username", "keeper", "--email", "olive@lists.example.org")
    assert not get_user_model().objects.filter(username="keeper").exists()


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
    asked first, again after an empty or malformed one, and createsuperuser asks the rest."""
    main, side = pty.openpty()
    command = [sys.executable, "-m", "listhaven", "--data-dir", str(tmp_path), "createadmin", "--username", "keeper"]
    process = subprocess.Popen(command, stdin=side, stdout=side, stderr=side, env=store_env(tmp_path), close_fds=True)
    os.close(side)
    seen = b""

    def until(text: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 60
        while text not in seen:
            left = deadline - time.monotonic()
            assert left > 0, seen.decode(errors="replace")
            if select.select([main], [], [], min(left, 1))[0]:
                try:
                    seen += os.read(main, 4096)
                except OSError:  # the command ended and its terminal closed
                    raise AssertionError(seen.decode(errors="replace")) from None

    try:
        until(b"Email address (the administrator signs in with it): ")
        os.write(main, b"\n")
        until(b"an address is required")
        until(b"Email address (the administrator signs in with it): ")
        os.write(main, b"keeper\n")
        until(b"'keeper' is not an email address")
        os.write(main, b"keeper@example.org\n")
        until(b"Password: ")
        os.write(main, b"a-long-passphrase-9\n")
        until(b"Password (again): ")
        os.write(main, b"a-long-passphrase-9\n")
        until(b"Superuser created successfully.")
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
    assert store_rows(tmp_path, "SELECT username, email, is_superuser FROM auth_user") == [("keeper", "keeper@example.org", 1)]
