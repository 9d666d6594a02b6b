"""The command line's start-up: the table of commands, what a command imports, the schema check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from listhaven.cli import COMMANDS, build_parser, command_name

REPO = Path(__file__).resolve().parents[1]


def _subparsers(parser):
    return next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")


def test_the_table_and_the_modules_agree() -> None:
    """Every command a module registers is in COMMANDS under that module, and the reverse."""
    full = _subparsers(build_parser())
    assert sorted(full.choices) == sorted(COMMANDS)
    helps = {action.dest: action.help for action in full._choices_actions}
    for name, (module, help_text) in COMMANDS.items():
        assert helps[name] == help_text
        handler = full.choices[name].get_default("handler")  # None for `list`: its actions have one
        assert handler is None or handler.__module__ == module, name


def test_a_module_adding_an_unlisted_command_fails_at_once() -> None:
    from listhaven.cli import _Only

    sub = _subparsers(build_parser(["--help"]))
    with pytest.raises(LookupError, match="COMMANDS"):
        _Only(sub, "listhaven.search.commands").add_parser("no-such-command")
    with pytest.raises(LookupError):
        _Only(sub, "listhaven.search.commands").add_parser("lists")  # another module's command


@pytest.mark.parametrize(
    ("argv", "name"),
    [(["search", "ltp", "x"], "search"), (["--data-dir", "search", "lists"], "lists"), (["--help"], None),
     (["-h", "stats", "ltp"], "stats"), ([], None)],
)
def test_command_name(argv: list[str], name: str | None) -> None:
    assert command_name(argv) == name


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True, cwd=REPO)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_help_and_a_query_command_import_only_what_they_need() -> None:
    at_help = _modules_after("from listhaven.cli import build_parser; build_parser(['--help'])")
    assert not {m for m in at_help if m.startswith(("django", "rich", "listhaven.archive", "listhaven.search"))}
    for command in ("search", "lists", "stats", "threads"):
        loaded = _modules_after(f"from listhaven.cli import build_parser; build_parser([{command!r}, 'x', 'y'])")
        heavy = {m for m in loaded if m.split(".")[0] in ("django", "rich", "gunicorn", "aiosmtpd")}
        assert heavy == set(), (command, heavy)
        others = {m for m in loaded if m.endswith("commands")} - {COMMANDS[command][0]}
        assert others == set(), (command, others)


def test_help_lists_every_command(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "listhaven", "--help"], capture_output=True, text=True, check=True)
    for name in COMMANDS:  # a long name has its help on the next line
        assert f"    {name} " in out.stdout or f"    {name}\n" in out.stdout, name


def test_schema_check_answers_from_the_migration_table(tmp_path: Path) -> None:
    code = """
import os, sys
from listhaven.cli import every_migration_recorded, ensure_schema, setup_django
setup_django(sys.argv[1])
from django.db import connection
print(every_migration_recorded())
ensure_schema()
print(every_migration_recorded())
with connection.cursor() as cursor:
    cursor.execute("DELETE FROM django_migrations WHERE id = (SELECT MAX(id) FROM django_migrations)")
print(every_migration_recorded())
"""
    env = {k: v for k, v in __import__("os").environ.items() if k != "DATABASE_URL"}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "store")], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.split() == ["False", "True", "False"]


def test_a_query_command_leaves_the_admin_and_the_web_alone(tmp_path: Path) -> None:
    """Django is set up, but the admin's ModelAdmins (forms, widgets) and the URL map are not loaded."""
    loaded = _modules_after(
        f"from listhaven.cli import main; main(['--data-dir', {str(tmp_path / 'store')!r}, 'lists', '--json'])")
    assert "django.apps" in loaded  # the scan itself works
    assert not loaded & {"listhaven.archive.admin", "django.contrib.auth.admin", "listhaven.site.urls",
                         "listhaven.web.urls", "rich"}


def test_the_command_being_run_is_the_only_one_given_a_parser() -> None:
    """Each parser costs gettext look-ups; the others are built only for help or a mistyped command."""
    run = build_parser(["--data-dir", "d", "stats", "ltp", "--json"])
    assert list(_subparsers(run).choices) == ["stats"]
    args = run.parse_args(["--data-dir", "d", "stats", "ltp", "--json"])
    assert (args.command, args.list, args.json, args.handler.__name__) == ("stats", "ltp", True, "cmd_stats")
    for argv in (["-h", "stats"], ["--help"], ["no-such-command"]):
        assert sorted(_subparsers(build_parser(argv)).choices) == sorted(COMMANDS), argv


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path) -> None:
    """`listhaven lists --json | head -1`: the pipe closes before the command writes; no traceback."""
    env = {k: v for k, v in __import__("os").environ.items() if k != "DATABASE_URL"}
    command = [sys.executable, "-m", "listhaven", "--data-dir", str(tmp_path / "store"), "lists", "--json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # no reader left: the command's first write meets a broken pipe
    errors = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141
    assert "Traceback" not in errors and "BrokenPipeError" not in errors, errors
