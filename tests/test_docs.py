"""Documentation that cannot fall behind: every setting and every command is documented, every declared
setting is read, and only the settings read the environment."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


CONFIGURATION = REPO / "docs" / "configuration.md"
TABLE_START = "<!-- settings table: generated from settings_table.py -->\n"
TABLE_END = "<!-- end of settings table -->\n"
# The modules allowed to read the environment: the settings and the table they are declared in.
SETTINGS_MODULES = {"site/settings.py", "site/settings_table.py"}


def test_configuration_md_holds_the_settings_table(golden):
    from listhaven.site.settings_table import markdown_table

    text = CONFIGURATION.read_text(encoding="utf-8")
    head, rest = text.split(TABLE_START)
    _, tail = rest.split(TABLE_END)
    expected = head + TABLE_START + markdown_table() + TABLE_END + tail
    golden.check(CONFIGURATION, expected.encode("utf-8"))


def _source_files() -> dict[str, ast.Module]:
    package = REPO / "src" / "listhaven"
    return {
        str(path.relative_to(package)): ast.parse(path.read_text(encoding="utf-8"))
        for path in package.rglob("*.py")
    }


def _names_used(tree: ast.Module) -> set[str]:
    """Attribute names, bare names and string constants (getattr(settings, "X")) of a module."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)
    return found


def _unread_settings(declared) -> list[str]:
    from django.conf import global_settings

    used: set[str] = set()
    for name, tree in _source_files().items():
        if name != "site/settings_table.py":
            used |= _names_used(tree)
    # Django's own settings (SECRET_KEY, DEBUG, ALLOWED_HOSTS) are read by Django.
    return sorted(s.name for s in declared if s.name not in used and not hasattr(global_settings, s.name))


def test_every_declared_setting_is_read_by_some_code():
    from listhaven.site.settings_table import SETTINGS

    assert _unread_settings(SETTINGS) == []


def _environment_reads(tree: ast.Module) -> list[int]:
    """Lines that read the environment: os.getenv, os.environ anything but an assignment to one of its
    keys (how --data-dir reaches the settings) or the DJANGO_SETTINGS_MODULE bootstrap."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "getenv":
            lines.append(node.lineno)
        if not (isinstance(node, ast.Attribute) and node.attr == "environ"):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Subscript) and isinstance(parent.ctx, ast.Store):
            continue
        call = parents.get(parent)
        if (isinstance(parent, ast.Attribute) and parent.attr == "setdefault" and isinstance(call, ast.Call)
                and call.args and isinstance(call.args[0], ast.Constant)
                and call.args[0].value == "DJANGO_SETTINGS_MODULE"):
            continue
        lines.append(node.lineno)
    return lines


def test_environment_is_read_only_by_the_settings():
    offenders = {
        name: lines for name, tree in _source_files().items()
        if name not in SETTINGS_MODULES and (lines := _environment_reads(tree))
    }
    assert offenders == {}


def test_the_environment_scan_finds_reads_and_allows_writes():
    reads = ast.parse("import os\na = os.environ.get('X')\nb = os.getenv('Y')\nc = 'Z' in os.environ\n")
    writes = ast.parse("import os\nos.environ['X'] = '1'\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'm')\n")
    assert sorted(_environment_reads(reads)) == [2, 3, 4]
    assert _environment_reads(writes) == []


def test_a_setting_only_the_table_names_is_found_unread():
    from listhaven.site.settings_table import SETTINGS, Setting, text

    extra = Setting("NOBODY_READS_THIS", "LISTHAVEN_NOBODY_READS_THIS", "", text, "a setting declared and forgotten")
    assert _unread_settings((*SETTINGS, extra)) == ["NOBODY_READS_THIS"]


def test_every_cli_command_is_in_the_readme():
    from listhaven.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = sorted(name for name in subparsers.choices if f"`listhaven {name}" not in readme)
    assert missing == []


def test_the_readme_and_make_run_name_the_demo_lists_owner():
    """A newcomer signs in as the demo list's owner with the address both name: the one demo-members adds."""
    from email.utils import parseaddr

    from listhaven.demo.members import DEMO_LIST, OWNERS

    owner = parseaddr(OWNERS[0])[1]
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    assert f"`{DEMO_LIST.split('@')[0]}`'s owner is `{owner}`" in readme
    assert f"Owner of the demo list harbour-dev: {owner};" in makefile


def test_readme_shows_the_two_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
