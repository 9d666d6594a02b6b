"""The layering rules of docs/architecture.md, enforced."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "listhaven"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_mail_layer_imports_nothing_but_stdlib_zstandard_and_itself():
    offenders = {}
    for path in (PACKAGE / "mail").rglob("*.py"):
        bad = {
            name for name in _imports(path)
            if name.split(".")[0] in {"django", "rich", "nh3", "aiosmtpd"}
            or (name.startswith("listhaven.") and not name.startswith("listhaven.mail"))
        }
        if bad:
            offenders[str(path.relative_to(PACKAGE))] = sorted(bad)
    assert offenders == {}


def test_mail_layer_loads_without_django():
    code = (
        "import sys, pkgutil, importlib, listhaven.mail as m\n"
        "for info in pkgutil.walk_packages(m.__path__, 'listhaven.mail.'):\n"
        "    importlib.import_module(info.name)\n"
        "assert 'django' not in sys.modules, 'django was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_archive_layer_builds_no_html():
    for path in (PACKAGE / "archive").rglob("*.py"):
        imported = _imports(path)
        assert not any(n.startswith(("listhaven.web", "django.template", "django.utils.html")) for n in imported), path


def test_only_the_command_line_reaches_the_demo_and_nothing_imports_the_tests():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        if path.is_relative_to(PACKAGE / "demo"):
            continue
        bad = {n for n in _imports(path) if n.startswith("listhaven.demo") or n.split(".")[0] == "tests"}
        if bad:
            offenders[str(path.relative_to(PACKAGE))] = sorted(bad)
    assert offenders == {}


def test_demo_generators_load_without_django():
    code = (
        "import sys, listhaven.demo.messages\n"
        "assert 'django' not in sys.modules, 'django was imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


# ---------------------------------------------------------------- one direction between the apps
#
# The apps import one way: lists -> archive -> search (an app may import any app after it in APP_ORDER, never
# one before it). Every import counts: at module level, inside functions (a function-level import only hides a
# loop), relative imports, and `importlib.import_module("...")` / `__import__("...")` with a literal name.
#
# Decided exception, for type names only: an app may name a model of an app before it in a module-level
# `if TYPE_CHECKING:` block, from that app's `models` package (e.g. the archive's functions are annotated with
# `MailingList`). Such an import never runs, so it cannot create a loop or make the archive load the list
# server's code; anything else under TYPE_CHECKING (a service, a function), or TYPE_CHECKING inside a function,
# is a back edge like any other. The archive's models point to the list with a string ("lists.MailingList"),
# which Django resolves without an import. Code that needs the list receives the instance (its model is
# `type(mlist)`).
#
# Edges that may import any app: the CLI command modules (`commands.py`, `*_commands.py`) and the packages
# outside APP_ORDER (web, delivery, cli, site, demo), which this rule does not scan.

APP_ORDER = ("lists", "archive", "search")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported_names(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The dotted names an import statement (or import_module call) brings in, made absolute."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[: len(package) - (node.level - 1)]
            base = ".".join(package + ([node.module] if node.module else []))
        return [f"{base}.{alias.name}" for alias in node.names]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if called in {"import_module", "__import__"} and isinstance(node.args[0].value, str):
            return [node.args[0].value]
    return []


def _imports_with_kind(source: str, module: str, is_package: bool) -> list[tuple[str, int, bool]]:
    """(imported name, line, for type checking only) for every import anywhere in `source`."""
    tree = ast.parse(source)
    type_only: set[int] = set()
    for statement in tree.body:
        if isinstance(statement, ast.If) and _is_type_checking(statement.test):
            type_only.update(id(n) for child in statement.body for n in ast.walk(child))
    return [
        (name, getattr(node, "lineno", 0), id(node) in type_only)
        for node in ast.walk(tree)
        for name in _imported_names(node, module, is_package)
    ]


def back_edges_in(source: str, module: str, is_package: bool = False) -> list[str]:
    """The imports of `module` (e.g. "listhaven.archive.ingest") that point against APP_ORDER."""
    parts = module.split(".")
    if len(parts) < 2 or parts[1] not in APP_ORDER or parts[-1].endswith("commands"):
        return []
    rank = APP_ORDER.index(parts[1])
    found = []
    for name, line, type_only in _imports_with_kind(source, module, is_package):
        target = name.split(".")
        if len(target) < 2 or target[0] != "listhaven" or target[1] not in APP_ORDER:
            continue
        if APP_ORDER.index(target[1]) >= rank:
            continue
        if type_only and len(target) > 2 and target[2] == "models":
            continue
        found.append(f"{module}:{line} imports {name}")
    return found


def back_edges(package: Path) -> list[str]:
    """Every back edge between the apps under `package` (a directory laid out like src/listhaven)."""
    found = []
    for app in APP_ORDER:
        for path in sorted((package / app).rglob("*.py")):
            relative = path.relative_to(package.parent).with_suffix("")
            is_package = relative.name == "__init__"
            module = ".".join(relative.parts[:-1] if is_package else relative.parts)
            found += back_edges_in(path.read_text(encoding="utf-8"), module, is_package)
    return found


def test_apps_import_one_way_lists_archive_search():
    assert back_edges(PACKAGE) == []


def test_the_direction_rule_finds_each_kind_of_back_edge():
    back = {
        "module level": ("listhaven.archive.ingest", "from listhaven.lists.models import MailingList\n"),
        "plain import": ("listhaven.search.fts5", "import listhaven.archive.models\n"),
        "inside a function": (
            "listhaven.search.service",
            "def hits():\n    from listhaven.archive.models import Message\n    return Message\n",
        ),
        "lists from search": ("listhaven.search.base", "from listhaven.lists.directory import find_list\n"),
        "relative": ("listhaven.archive.export", "from ..lists import directory\n"),
        "from the package": ("listhaven.archive.export", "from listhaven import lists\n"),
        "import_module": ("listhaven.archive.stats", "import importlib\nimportlib.import_module('listhaven.lists')\n"),
        "a service for type checking": (
            "listhaven.archive.ingest",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from listhaven.lists.directory import find_list\n",
        ),
        "type checking inside a function": (
            "listhaven.archive.ingest",
            "def f():\n    if TYPE_CHECKING:\n        from listhaven.lists.models import MailingList\n",
        ),
    }
    for kind, (module, source) in back.items():
        assert len(back_edges_in(source, module)) == 1, kind


def test_the_direction_rule_allows_forward_edges_commands_and_model_type_names():
    allowed = {
        "forward": ("listhaven.lists.directory", "from listhaven.archive.models import Message\n"),
        "skipping a layer": ("listhaven.lists.pipeline", "from listhaven.search import backend_for\n"),
        "inside the app": ("listhaven.archive.ingest", "from listhaven.archive.models import Message\n"),
        "relative inside the app": ("listhaven.archive.models", "from .message import Message\n"),
        "a command module": ("listhaven.search.commands", "from listhaven.lists.directory import find_list\n"),
        "an export command module": ("listhaven.archive.export_commands", "from listhaven.lists import directory\n"),
        "an edge package": ("listhaven.web.views.search", "from listhaven.lists.models import MailingList\n"),
        "model names for type checking": (
            "listhaven.archive.ingest",
            "import typing\nif typing.TYPE_CHECKING:\n    from listhaven.lists.models import MailingList\n",
        ),
    }
    for kind, (module, source) in allowed.items():
        assert back_edges_in(source, module) == [], kind


def test_the_direction_rule_walks_a_tree(tmp_path):
    files = {
        "lists/models/__init__.py": "from listhaven.lists.models.mailing_list import MailingList\n",
        "lists/directory.py": "from listhaven.archive import search\n",
        "archive/__init__.py": "",
        "archive/search.py": "def hydrate():\n    from listhaven.lists.directory import find_list\n",
        "archive/commands.py": "from listhaven.lists.directory import find_list\n",
        "search/__init__.py": "from .service import run\n",
        "search/service.py": "from ..archive.models import Message\n",
    }
    for name, text in files.items():
        path = tmp_path / "listhaven" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert back_edges(tmp_path / "listhaven") == [
        "listhaven.archive.search:2 imports listhaven.lists.directory.find_list",
        "listhaven.search.service:1 imports listhaven.archive.models.Message",
    ]
