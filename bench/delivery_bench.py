"""`make bench delivery`: posts in over LMTP, copies out to a counting SMTP sink on loopback.

    .venv/bin/python bench/delivery_bench.py [--members 1000] [--posts 20] [--mode personalised|bulk|both]
        [--sink aiosmtpd|fast] [--first-copy-members 10000] [--write-mbox FILE]

For each mode: a fresh store with one list of MEMBERS members, `listhaven lmtp` and one `listhaven worker`
as separate processes, and the sink (../shared/peers/sink.py, aiosmtpd, the sink Mailman's benchmark uses;
or bench/fast_sink.py, a raw asyncio counting sink). POSTS posts (text/plain, 1-20 KB bodies, generated
with a fixed seed) go to the list over LMTP one after another. Printed: deliveries/s (recipients counted by
the sink / time from the first post's injection to the last copy at the sink, as mm_inject.py counts it),
the time from each post's LMTP 250 to its first and last copy at the sink, the worker's CPU seconds and
peak RSS. `--first-copy-members N`: one more post to a list of N members, the time from its 250 to its
first copy at the sink. `--write-mbox FILE` writes the posts as an mbox for mm_inject.py (Mailman's run).
"""

from __future__ import annotations

import argparse
import json
import mailbox
import os
import random
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PEERS = (REPO / ".." / "shared" / "peers").resolve()
sys.path.insert(0, str(REPO))

from tests.support.ports import free_port, wait_for_port  # noqa: E402

PY = sys.executable
LIST = "bench@example.org"
SENDER = "member0000@members.example.net"
WORDS = ("list", "mail", "member", "archive", "thread", "post", "reply", "queue", "copy", "server", "the", "a",
         "of", "and", "to", "in", "is", "that", "for", "it", "with", "as", "was", "on", "be", "at", "by")  # fmt: skip


def make_posts(count: int, seed: int = 10) -> list[EmailMessage]:
    rng = random.Random(seed)
    posts = []
    for n in range(count):
        size = rng.randint(1024, 20480)
        lines, length = [], 0
        while length < size:
            line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12))).capitalize() + "."
            lines.append(line)
            length += len(line) + 1
        message = EmailMessage()
        message["From"], message["To"] = SENDER, LIST
        message["Subject"] = f"Benchmark post {n}: {' '.join(rng.choice(WORDS) for _ in range(5))}"
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<bench-{seed}-{n}-{time.time_ns()}@members.example.net>"
        message.set_content("\n".join(lines) + "\n")
        posts.append(message)
    return posts


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def read_status(path: Path) -> dict:
    for _ in range(50):
        try:
            return json.loads(path.read_text())
        except (json.JSONDecodeError, FileNotFoundError):
            time.sleep(0.01)
    raise RuntimeError(f"cannot read {path}")


def setup_store(data: Path, members: int, personalised: bool) -> None:
    code = f"""
from listhaven.cli import setup_django, ensure_schema
setup_django({str(data)!r}); ensure_schema()
from listhaven.lists.directory import create_list
from listhaven.lists.members import add_members
mlist = create_list({LIST!r})
mlist.personalised = {personalised!r}
mlist.dmarc_mitigation = "off"
mlist.save()
add_members(mlist, [f"member{{n:04d}}@members.example.net" for n in range({members})])
"""
    subprocess.run([PY, "-c", code], check=True)


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def sink_command(kind: str, port: int, status: Path) -> list[str]:
    script = PEERS / "sink.py" if kind == "aiosmtpd" else REPO / "bench" / "fast_sink.py"
    return [PY, str(script), "--port", str(port), "--status", str(status)]


def run_mode(base: Path, personalised: bool, members: int, posts: list[EmailMessage], sink: str) -> dict:
    mode = "personalised" if personalised else "bulk"
    data = base / mode
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    setup_store(data, members, personalised)
    sink_port, lmtp_port, status = free_port(), free_port(), data / "sink-status.json"
    env = {**os.environ, "LISTHAVEN_DATA": str(data), "LISTHAVEN_SMTP_HOST": "127.0.0.1",
           "LISTHAVEN_SMTP_PORT": str(sink_port), "LISTHAVEN_LMTP_PORT": str(lmtp_port)}  # fmt: skip
    processes = [start(sink_command(sink, sink_port, status), env, data / "sink.log")]
    try:
        wait_for_port(sink_port)
        processes.append(start([PY, "-m", "listhaven", "lmtp", "--port", str(lmtp_port)], env, data / "lmtp.log"))
        processes.append(start([PY, "-m", "listhaven", "worker"], env, data / "worker.log"))
        wait_for_port(lmtp_port)
        time.sleep(1.0)  # the worker is up and polling
        return measure(processes, status, lmtp_port, posts, members, mode)
    finally:
        for process in reversed(processes):
            stop(process)


def measure(processes: list, status: Path, lmtp_port: int, posts: list[EmailMessage], members: int,
            mode: str) -> dict:  # fmt: skip
    sink, _lmtp, worker = processes
    sink.send_signal(signal.SIGUSR1)
    time.sleep(0.3)
    cpu0 = cpu_seconds(worker.pid)
    t0 = time.time()
    accepted = []
    client = smtplib.LMTP("127.0.0.1", lmtp_port)
    for post in posts:
        client.send_message(post, SENDER, [LIST])
        accepted.append(time.time())
    client.quit()
    expected = members * len(posts)
    deadline = time.time() + 900
    state = read_status(status)
    while state["recipients"] < expected and time.time() < deadline:
        time.sleep(0.05)
        state = read_status(status)
    cpu = cpu_seconds(worker.pid) - cpu0
    total = (state["last"] or time.time()) - t0
    result = {
        "mode": mode, "members": members, "posts": len(posts), "recipients_delivered": state["recipients"],
        "expected": expected, "smtp_transactions": state["transactions"],
        "deliveries_per_s": round(state["recipients"] / total, 1) if total > 0 else None,
        "first_copy_after_first_250_s": round((state["first"] or t0) - accepted[0], 3),
        "last_copy_after_last_250_s": round((state["last"] or t0) - accepted[-1], 3),
        "inject_s": round(accepted[-1] - t0, 3), "wall_s": round(total, 3),
        "worker_cpu_s": round(cpu, 2), "worker_peak_rss_mb": peak_rss_mb(worker.pid),
        "complete": state["recipients"] >= expected,
    }
    print(f"delivery {mode}: {result['deliveries_per_s']} deliveries/s ({state['recipients']}/{expected} in "
          f"{total:.2f} s, {state['transactions']} SMTP transactions); first copy {result['first_copy_after_first_250_s']} s "
          f"after the first 250, last copy {result['last_copy_after_last_250_s']} s after the last 250; worker "
          f"{cpu:.2f} CPU s, peak RSS {result['worker_peak_rss_mb']} MB", flush=True)  # fmt: skip
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--mode", choices=["personalised", "bulk", "both"], default="both")
    parser.add_argument("--sink", choices=["aiosmtpd", "fast"], default="fast")
    parser.add_argument("--first-copy-members", type=int, default=10000, help="0: skip that measurement")
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--write-mbox", type=Path, default=None)
    args = parser.parse_args()
    posts = make_posts(args.posts)
    if args.write_mbox:
        box = mailbox.mbox(str(args.write_mbox))
        for post in posts:
            box.add(post)
        box.close()
        print(f"wrote {len(posts)} posts to {args.write_mbox}")
        return 0
    base = args.dir or Path(tempfile.mkdtemp(prefix="listhaven-delivery-bench-"))
    results = {"sink": args.sink, "runs": []}
    modes = [True, False] if args.mode == "both" else [args.mode == "personalised"]
    for personalised in modes:
        results["runs"].append(run_mode(base, personalised, args.members, posts, args.sink))
    if args.first_copy_members:
        run = run_mode(base / "first-copy", True, args.first_copy_members, make_posts(1, seed=11), args.sink)
        print(f"first copy with {args.first_copy_members} members: {run['first_copy_after_first_250_s']} s after the 250")
        results["first_copy"] = run
    print(json.dumps(results))
    shutil.rmtree(base, ignore_errors=True) if args.dir is None else None
    return 0


if __name__ == "__main__":
    sys.exit(main())
