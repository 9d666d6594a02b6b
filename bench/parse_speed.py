"""Messages per second of `parse_message` on the first N messages of the ltp corpus.

    .venv/bin/python bench/parse_speed.py [N] [--profile] [--corpus PATH]

Reads ../shared/corpora/ltp.mbox.zst (mboxrd, zstd; --corpus names another, e.g. linux-pm-10k.mbox.zst), splits it on ``From `` lines that
follow an empty line, and times parsing alone (reading and splitting are not counted).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

import zstandard

from listhaven.mail.message import SourceMessage, UnparseableMessage
from listhaven.mail.parse import parse_message

CORPORA = Path(__file__).resolve().parents[1] / "../shared/corpora"
CORPUS = CORPORA / "ltp.mbox.zst"


def read_messages(limit: int, corpus: Path = CORPUS) -> list[SourceMessage]:
    messages: list[SourceMessage] = []
    lines: list[bytes] = []
    from_line = ""
    previous_blank = True
    with corpus.open("rb") as compressed:
        reader = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(compressed), 1 << 20)
        for line in reader:
            if previous_blank and line.startswith(b"From "):
                if lines:
                    messages.append(SourceMessage(b"".join(lines), f"ltp#{len(messages) + 1}", from_line))
                    if len(messages) >= limit:
                        break
                from_line, lines = line[5:].decode("latin-1").rstrip(), []
            else:
                lines.append(line[1:] if line.startswith(b">") and line.lstrip(b">").startswith(b"From ") else line)
            previous_blank = line in (b"\n", b"\r\n")
    if lines and len(messages) < limit:
        messages.append(SourceMessage(b"".join(lines), f"ltp#{len(messages) + 1}", from_line))
    return messages


def main() -> None:
    limit = int(next((arg for arg in sys.argv[1:] if arg.isdigit()), "5000"))
    corpus = CORPUS
    if "--corpus" in sys.argv:
        corpus = Path(sys.argv[sys.argv.index("--corpus") + 1])
        corpus = corpus if corpus.exists() else CORPORA / corpus
    messages = read_messages(limit, corpus)
    profile = cProfile.Profile() if "--profile" in sys.argv else None
    refused = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    if profile:
        profile.enable()
    for source in messages:
        try:
            parse_message(source)
        except UnparseableMessage:
            refused += 1
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if profile:
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    megabytes = sum(len(m.raw) for m in messages) / 1e6
    print(f"{len(messages)} messages ({megabytes:.1f} MB) in {elapsed:.2f} s wall, {cpu:.2f} s CPU: "
          f"{len(messages) / elapsed:,.0f} messages/s wall, {len(messages) / cpu:,.0f} per CPU second, "
          f"{refused} refused")


if __name__ == "__main__":
    main()
