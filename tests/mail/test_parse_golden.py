"""Golden files of the parser: each generated input (tests/support/parse_cases.py) and the fields
`parse_message` makes of it, in tests/mail/golden/parse/. After a deliberate change of the parser, run
``pytest tests/mail/test_parse_golden.py --regen-golden`` and review ``git diff tests/mail/golden``."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from listhaven.mail.message import ParsedMessage, SourceMessage
from listhaven.mail.parse import parse_message
from tests.support.parse_cases import PARSE_CASES

GOLDEN = Path(__file__).resolve().parent / "golden" / "parse"


def parsed_fields(parsed: ParsedMessage) -> dict[str, Any]:
    """Every field of the record, as JSON: dates in ISO 8601, addresses as [name, address]."""
    fields = asdict(parsed)
    fields["date"] = parsed.date.isoformat()
    fields["sender"] = [parsed.sender.name, parsed.sender.email]
    fields["to"] = [[a.name, a.email] for a in parsed.to]
    fields["cc"] = [[a.name, a.email] for a in parsed.cc]
    fields["references"] = list(parsed.references)
    fields["defects"] = list(parsed.defects)
    fields["attachments"] = [asdict(a) for a in parsed.attachments]
    return fields


@pytest.mark.parametrize("name", sorted(PARSE_CASES))
def test_parsed_fields_match_the_golden_file(name, golden):
    raw = PARSE_CASES[name]()
    golden.check(GOLDEN / f"{name}.eml", raw)
    parsed = parse_message(SourceMessage(raw, f"{name}.eml#1"))
    golden.check(GOLDEN / f"{name}.json", parsed_fields(parsed))


def test_no_golden_file_outlives_its_case():
    names = {path.stem for path in GOLDEN.iterdir()}
    assert names <= set(PARSE_CASES)
    assert len(list(GOLDEN.iterdir())) == 2 * len(PARSE_CASES)
