"""Golden files: an input made by the project and the expected output, as JSON, beside it.

A test hands `golden.check(path, actual)` what the code produces now. Normally the file at `path` must
exist and hold exactly that; under ``pytest --regen-golden`` the file is (re)written instead and the test
passes, so a change of behaviour shows up as a diff to review (``git diff tests/``) before it is committed.

`actual` is either bytes (an input file, e.g. a generated ``.eml``, kept byte for byte) or a JSON value
(written with sorted keys and two-space indents, so diffs are small and stable).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REGEN_OPTION = "--regen-golden"


def encode_json(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Golden:
    regen: bool

    def check(self, path: Path, actual: bytes | Any) -> None:
        data = actual if isinstance(actual, bytes) else encode_json(actual)
        if self.regen:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_bytes() != data:
                path.write_bytes(data)
            return
        if not path.exists():
            pytest.fail(f"golden file {path} is missing: run pytest {REGEN_OPTION} and review the new file")
        expected = path.read_bytes()
        if expected == data:
            return
        if isinstance(actual, bytes):
            pytest.fail(f"{path} differs from what its generator makes now: run pytest {REGEN_OPTION}, review the diff")
        # Compare as values so pytest prints a readable difference.
        assert json.loads(data) == json.loads(expected), f"{path} differs: run pytest {REGEN_OPTION}, review the diff"
        pytest.fail(f"{path} holds the same values formatted differently: run pytest {REGEN_OPTION}")
