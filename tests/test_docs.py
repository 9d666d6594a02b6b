"""Documentation that cannot fall behind: every setting and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _env_vars_read_by_code() -> set[str]:
    found: set[str] = set()
    for path in (REPO / "src" / "listhaven").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found.update(re.findall(r"""environ(?:\.get)?[\[(]\s*["']((?:LISTHAVEN|DATABASE)_[A-Z_]+)["']""", text))
        found.update(re.findall(r"""_env_bool\(\s*["']([A-Z_]+)["']""", text))
    return found


def test_every_environment_variable_is_documented():
    documented = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    variables = _env_vars_read_by_code()
    assert "LISTHAVEN_DATA" in variables  # the scan itself works
    missing = sorted(v for v in variables if f"`{v}`" not in documented)
    assert missing == []


def test_every_cli_command_is_in_the_readme():
    from listhaven.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = sorted(name for name in subparsers.choices if f"`listhaven {name}" not in readme)
    assert missing == []


def test_readme_shows_the_two_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
