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
