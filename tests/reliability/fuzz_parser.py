"""Coverage-guided fuzzing of the parser and the body renderer with atheris (libFuzzer), run by `make fuzz`.

Each input is a raw message: it must parse or be refused with UnparseableMessage (any other exception
is a crash), within the libFuzzer -timeout (a hang), and its body must render to HTML made only of the
renderer's own tags, with links to http(s) URLs only. The seed corpus is the fixture archive of the
demo generator (listhaven.demo.messages) and the hostile message set (tests/support/hostile.py), written to a
temporary folder.

    .venv/bin/python tests/reliability/fuzz_parser.py -runs=200000 -timeout=10
libFuzzer prints "Done N runs in S second(s)" at the end: N is the count of inputs fuzzed.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["listhaven.mail"]):
    from listhaven.mail.message import SourceMessage, UnparseableMessage
    from listhaven.mail.parse import parse_message
    from listhaven.mail.render import render_body

RENDERER_TAGS = {"div", "span", "a", "details", "summary"}
TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>")
HREF = re.compile(r'^\s+href="https?://[^"]*"(?:\s+rel="nofollow noopener")?\s*$', re.IGNORECASE)


def check_rendered(html: str) -> None:
    for match in TAG.finditer(html):
        closing, name, attributes = match.groups()
        if name.lower() not in RENDERER_TAGS:
            raise AssertionError(f"tag from the message reached the HTML: {match.group(0)[:80]!r}")
        if name.lower() == "a" and not closing and not HREF.match(attributes):
            raise AssertionError(f"link that is not a plain http(s) URL: {match.group(0)[:80]!r}")
        if name.lower() != "a" and re.search(r"\bon\w+\s*=|href|src", attributes, re.IGNORECASE):
            raise AssertionError(f"attribute from the message: {match.group(0)[:80]!r}")


def test_one_input(data: bytes) -> None:
    try:
        parsed = parse_message(SourceMessage(data, "fuzz#1", None))
    except UnparseableMessage as refused:
        assert refused.reason
        return
    check_rendered(render_body(parsed.body_text))


def seed_corpus() -> Path:
    # Run as a script, so the repository root (for tests.support) is not on the path by itself.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from listhaven.demo.messages import fixture_archive
    from tests.support.hostile import hostile_messages

    folder = Path(tempfile.mkdtemp(prefix="listhaven-fuzz-corpus-"))
    raws = [raw for _, raw in hostile_messages()] + [raw for _, raw in fixture_archive()]
    for n, raw in enumerate(raws):
        (folder / f"seed-{n:04d}").write_bytes(raw[:20_000])
    return folder


def main() -> None:
    args = list(sys.argv)
    if not any(not a.startswith("-") for a in args[1:]):
        corpus = seed_corpus()
        args.append(str(corpus))  # libFuzzer reads the seeds from (and adds finds to) this folder
        if not any(a.startswith("-artifact_prefix=") for a in args):
            args.append(f"-artifact_prefix={corpus}-")  # a crashing input is written beside it, not in the repo
    atheris.Setup(args, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
