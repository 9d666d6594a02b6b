"""Messages per second of `parse_message` on the first N messages of the ltp corpus.

    .venv/bin/python bench/parse_speed.py [N] [--profile] [--corpus PATH] [--process]

Reads ../shared/corpora/ltp.mbox.zst (mboxrd, zstd; --corpus names another, e.g. linux-pm-10k.mbox.zst), splits it on ``From `` lines that
follow an empty line, and times parsing alone (reading and splitting are not counted).

`--process` times instead what an import's parser process does with the first N messages, reading
included: the source read by `open_source`, each message through `importer.parse_one` (parsed, raw
bytes compressed, search document, public id) and `wire.pack`, pickled in chunks of 16. The count of
machine instructions, which the machine's load does not change, is the difference between two runs:
``valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/parse_speed.py N --process``
for N and for 0.
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


def parser_process(limit: int, corpus: Path) -> None:
    """What one parser process does with the first `limit` messages, timed from the first read."""
    import os
    import pickle
    import tempfile
    from itertools import islice

    os.environ.setdefault("LISTHAVEN_DATA", tempfile.mkdtemp(prefix="parse-speed-"))  # never opened
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "listhaven.site.settings")
    import django

    django.setup()
    from listhaven.archive.importer import _CHUNK, limits, parse_one
    from listhaven.archive.wire import pack
    from listhaven.mail.sources import open_source

    parse_limits, count, chunk = limits(), 0, []
    start, cpu_start = time.perf_counter(), time.process_time()
    for source in islice(open_source(str(corpus)), limit):
        chunk.append(pack(parse_one(source, parse_limits, "derived.parse-speed.invalid")))
        count += 1
        if len(chunk) >= _CHUNK:
            pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL)
            chunk = []
    pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    print(f"{count} messages read, parsed, compressed and packed in {elapsed:.2f} s wall, {cpu:.2f} s CPU: "
          f"{count / max(cpu, 1e-9):,.0f} per CPU second")


def main() -> None:
    limit = int(next((arg for arg in sys.argv[1:] if arg.isdigit()), "5000"))
    corpus = CORPUS
    if "--corpus" in sys.argv:
        corpus = Path(sys.argv[sys.argv.index("--corpus") + 1])
        corpus = corpus if corpus.exists() else CORPORA / corpus
    if "--process" in sys.argv:
        parser_process(limit, corpus)
        return
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
