"""The state behind synthetic mail: lists, their authors, open threads, and composing one message.

`Engine.compose` writes one message as bytes by string formatting; `Engine.next_random`
decides what the next message of a random stream is (which list, new thread or reply to
whom, which MIME shape). Threads keep only what a reply needs (the last dozen posts and
their quotable text), so memory stays flat however many messages are made.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from email.header import Header
from email.utils import formataddr
from functools import lru_cache

from listhaven.demo import mime_shapes as mime
from listhaven.demo import words

CASE_HEADER = "X-Synthetic-Case"
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TOPIC_BY_NAME = {"harbour-dev": "software", "allotment": "garden", "reading-circle": "prose"}
_MAX_REFERENCES = 10  # root + the nearest ancestors, as mail clients trim long References
_RECENT_POSTS = 12
# Cumulative probabilities of each MIME shape; the rest is plain text.
_KIND_TABLE = (
    (0.010, "malformed"),
    (0.030, mime.FLOWED),
    (0.055, mime.QUOTED_PRINTABLE),
    (0.065, mime.BASE64),
    (0.095, "charset"),
    (0.135, mime.ALTERNATIVE),
    (0.145, mime.ATTACH_PNG),
    (0.150, mime.ATTACH_PDF),
    (0.155, mime.ATTACH_PATCH),
    (0.165, mime.HTML_ONLY),
)
_CHARSET_KIND_NAMES = tuple(mime.CHARSET_KINDS)


@dataclass(frozen=True, slots=True)
class ListSpec:
    """An invented mailing list: `subject_tag` is the prefix Mailman puts on subjects, brackets included."""

    name: str
    address: str
    description: str
    subject_tag: str


@dataclass(slots=True)
class Author:
    name: str
    email: str
    header_lines: str  # From: and the mail client's header, newline-terminated
    offset: int  # seconds east of UTC
    zone: str  # "-0600"
    host: str  # right-hand side of the Message-IDs this author's client makes
    signature: str  # "-- \n..." or ""
    charset: str | None  # legacy charset this author's client writes, if any


@dataclass(slots=True)
class Post:
    """What a reply needs from its parent."""

    msgid: str  # with angle brackets
    refs: tuple[str, ...]
    author: Author
    date: str  # the Date header value, "" when the message had none
    quote: str  # the text a reply quotes (before adding "> ")


@dataclass(slots=True)
class Thread:
    subject: str  # header-ready (RFC 2047 when needed), without tag or "Re: "
    plain_subject: str
    shape: str  # "tree", "chain" (always reply to the latest) or "fan" (always reply to the root)
    target: int
    patch: bool = False
    size: int = 0
    root: Post | None = None
    recent: list[Post] = field(default_factory=list)

    def parent(self, rng: random.Random) -> Post | None:
        if not self.recent:
            return None
        if self.shape == "chain":
            return self.recent[-1]
        if self.shape == "fan" and self.root is not None:
            return self.root
        return self.recent[int(rng.random() * len(self.recent))]

    def add(self, post: Post | None) -> None:
        self.size += 1
        if post is None:
            return
        if self.root is None:
            self.root = post
        self.recent.append(post)
        if len(self.recent) > _RECENT_POSTS:
            del self.recent[0]


def rfc_date(tm: time.struct_time, zone: str) -> str:
    return (
        f"{_DAYS[tm.tm_wday]}, {tm.tm_mday:02d} {_MONTHS[tm.tm_mon - 1]} {tm.tm_year} "
        f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} {zone}"
    )


@lru_cache(maxsize=4096)  # subjects repeat; RFC 2047 encoding is slow
def encode_subject(text: str, charset: str = "utf-8") -> str:
    return text if text.isascii() else Header(text, charset).encode()


def _make_author(rng: random.Random, name: str, local: str, charset: str | None, style: int) -> Author:
    domain = words.DOMAINS[rng.randrange(len(words.DOMAINS))]
    email = f"{local}@{domain}"
    zone = words.TIMEZONES[rng.randrange(len(words.TIMEZONES))]
    sign = -1 if zone[0] == "-" else 1
    offset = sign * (int(zone[1:3]) * 3600 + int(zone[3:5]) * 60)
    if style == 0:
        from_line = f"From: {email}"  # no display name
    elif style == 1 and name.isascii():
        from_line = f"From: {email} ({name})"  # the old comment form
    else:
        from_line = f"From: {formataddr((name, email))}"
    agent = words.AGENTS[rng.randrange(len(words.AGENTS))]
    header_lines = from_line + "\n" + (agent + "\n" if agent else "")
    signature = ""
    if rng.random() < 0.75:
        extra = (
            f"https://www.{domain}/~{local.split('.')[0]}",
            "GPG: 4F2A 9C1E 77B0 D3A5",
            f"Plot {rng.randint(1, 40)}, Riverside",
            "Sent from a small screen; please excuse brevity.",
        )[rng.randrange(4)]
        signature = f"-- \n{name or local}\n{extra}"
    return Author(name if style else "", email, header_lines, offset, zone, f"mail.{domain}", signature, charset)


def make_authors(rng: random.Random, count: int) -> list[Author]:
    authors = [_make_author(rng, n, local, cs, 2) for n, local, cs in words.SPECIAL_AUTHORS]
    for i in range(count):
        first = words.FIRST_NAMES[rng.randrange(len(words.FIRST_NAMES))]
        last = words.LAST_NAMES[rng.randrange(len(words.LAST_NAMES))]
        style = 0 if i % 17 == 3 else 1 if i % 11 == 5 else 2
        authors.append(_make_author(rng, f"{first} {last}", f"{first}.{last}{i}".lower(), None, style))
    rng.shuffle(authors)
    return authors


class ListState:
    """One list: its authors, text bank, Mailman headers and currently open threads."""

    def __init__(self, spec: ListSpec, rng: random.Random) -> None:
        self.spec = spec
        self.topic = _TOPIC_BY_NAME.get(spec.name) or ("software", "garden", "prose")[sum(map(ord, spec.name)) % 3]
        self.authors = make_authors(rng, 30)
        self.by_charset: dict[str, list[Author]] = {}
        for author in self.authors:
            if author.charset:
                self.by_charset.setdefault(author.charset, []).append(author)
        self.paragraphs = words.paragraph_bank(rng, self.topic, 300)
        self.code_rate = 0.3 if self.topic == "software" else 0.04
        self.active: list[Thread] = []
        local, _, host = spec.address.partition("@")
        label = spec.subject_tag.strip("[] ") or local
        self.list_headers = (
            f'Sender: "{label}" <{local}-bounces@{host}>\nErrors-To: {local}-bounces@{host}\n'
            f"List-Id: {label} mailing list <{local}.{host}>\n"
            f"List-Unsubscribe: <https://{host}/mailman/options/{local}>,\n <mailto:{local}-request@{host}?subject=unsubscribe>\n"
            f"List-Archive: <https://{host}/pipermail/{local}/>\nList-Post: <mailto:{spec.address}>\n"
            f"List-Help: <mailto:{local}-request@{host}?subject=help>\n"
            f"List-Subscribe: <https://{host}/mailman/listinfo/{local}>,\n <mailto:{local}-request@{host}?subject=subscribe>\n"
            "Precedence: list\n"
        )
        self.footer = ""
        if self.topic == "garden":
            self.footer = (
                f"\n_______________________________________________\n{label} mailing list\n{spec.address}\n"
                f"https://{host}/mailman/listinfo/{local}\n"
            )

    def author(self, rng: random.Random, charset: str | None = None) -> Author:
        if charset and charset in self.by_charset:
            pool = self.by_charset[charset]
            return pool[int(rng.random() * len(pool))]
        return self.authors[int(len(self.authors) * rng.random() ** 1.6)]


class Engine:
    """Composes messages for a set of lists from one seeded random stream."""

    def __init__(self, lists: list[ListSpec], seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.states = [ListState(spec, self.rng) for spec in lists]
        self.blobs = mime.make_blobs(self.rng)
        # Busier lists first: list i gets weight n - i.
        total = sum(range(1, len(lists) + 1))
        acc = 0.0
        self.cumulative = []
        for i in range(len(lists)):
            acc += (len(lists) - i) / total
            self.cumulative.append(acc)

    def pick_state(self) -> ListState:
        r = self.rng.random()
        for state, edge in zip(self.states, self.cumulative):
            if r < edge:
                return state
        return self.states[-1]

    def pick_kind(self, state: ListState) -> str:
        r = self.rng.random()
        if r >= _KIND_TABLE[-1][0]:
            return mime.PLAIN
        for edge, kind in _KIND_TABLE:  # noqa: B007 - kind is used after the loop
            if r < edge:
                break
        if kind == "malformed":
            return mime.MALFORMED_KINDS[self.rng.randrange(len(mime.MALFORMED_KINDS))]
        if kind == "charset":
            return _CHARSET_KIND_NAMES[self.rng.randrange(len(_CHARSET_KIND_NAMES))]
        if kind == mime.ATTACH_PATCH and state.topic != "software":
            return mime.ATTACH_PDF
        return kind

    def new_thread(self, state: ListState, kind: str, shape: str = "tree", target: int = 1) -> Thread:
        rng = self.rng
        charset = mime.CHARSET_KINDS.get(kind)
        patch = False
        if charset:
            plain = words.FOREIGN_SUBJECTS[charset]
        elif rng.random() < 0.4:
            bank = words.SUBJECTS[state.topic]
            plain = bank[rng.randrange(len(bank))]
        else:
            plain = words.subject_phrase(rng, state.topic)
            if state.topic == "software" and rng.random() < 0.25:
                plain, patch = f"[PATCH] {plain}", True
        return Thread(encode_subject(plain, charset or "utf-8"), plain, shape, target, patch)

    def next_random(self, serial: int, t: float) -> tuple[ListState, bytes]:
        """The next message of a random stream: a reply to an open thread or a new thread."""
        rng = self.rng
        state = self.pick_state()
        kind = self.pick_kind(state)
        active = state.active
        r = rng.random()
        if not active or (len(active) < 6 and r < 0.5) or (len(active) < 24 and r < 0.12):
            r = rng.random()
            if r < 0.25:
                thread = self.new_thread(state, kind)
            elif r < 0.95:
                thread = self.new_thread(state, kind, "tree", rng.randint(2, 8) if r < 0.8 else rng.randint(9, 25))
            else:
                shape = "chain" if r < 0.975 else "fan"
                thread = self.new_thread(
                    state, kind, shape, rng.randint(31, 60) if shape == "chain" else rng.randint(41, 50)
                )
            if thread.target > 1:
                active.append(thread)
            parent = None
        else:
            thread = active[int(rng.random() * len(active))]
            parent = thread.parent(rng)
        author = state.author(rng, mime.CHARSET_KINDS.get(kind))
        raw, post = self.compose(state, serial, t, thread, parent, kind, author)
        thread.add(post)
        if thread.size >= thread.target and thread in active:
            active.remove(thread)
        return state, raw

    def compose(
        self,
        state: ListState,
        serial: int,
        t: float,
        thread: Thread,
        parent: Post | None,
        kind: str,
        author: Author,
        *,
        msgid: str | None = None,
        case: str | None = None,
        reply_subject: bool = False,
    ) -> tuple[bytes, Post | None]:
        """One message as bytes, and the Post replies to it will need (None when it has no Message-ID)."""
        rng = self.rng
        utc = time.gmtime(t)
        date = rfc_date(time.gmtime(t + author.offset), author.zone)
        if msgid is None:
            msgid = (
                f"<{utc.tm_year:04d}{utc.tm_mon:02d}{utc.tm_mday:02d}{utc.tm_hour:02d}{utc.tm_min:02d}"
                f"{utc.tm_sec:02d}.{serial}.{self.seed}@{author.host}>"
            )
        text, quote = self.body_text(state, thread, parent, kind, author)
        mime_head, body = mime.mime_body(kind, text, rng, self.blobs, serial)
        received = rfc_date(time.gmtime(t + 3 + serial % 97), "+0000")
        host = state.spec.address.partition("@")[2]
        head = [
            (
                f"Received: from {author.host} (HELO {author.host})\n\tby {host} with ESMTP id {serial:X}\n"
                f"\tfor <{state.spec.address}>; {received}\n"
            ),
            author.header_lines,
            f"To: {state.spec.address}\n",
            f"Subject: {state.spec.subject_tag} {'Re: ' if parent or reply_subject else ''}{thread.subject}\n",
        ]
        if kind == mime.GARBLED_DATE:
            head.append(f"Date: {('Someday', 'Thu, 31 Foo 2019 25:61:99 +9999', date[:11])[serial % 3]}\n")
        elif kind != mime.MISSING_DATE:
            head.append(f"Date: {date}\n")
        if kind != mime.MISSING_MESSAGE_ID:
            head.append(f"Message-ID: {msgid}\n")
        refs: tuple[str, ...] = ()
        if parent is not None:
            refs = parent.refs + (parent.msgid,)
            if len(refs) > _MAX_REFERENCES:
                refs = refs[:1] + refs[1 - _MAX_REFERENCES :]
            head.append(f"In-Reply-To: {parent.msgid}\n")
            if serial % 31 != 7:  # a few old clients send only In-Reply-To
                head.append("References: " + "\n ".join(refs) + "\n")
        head.append(mime_head)
        if kind in mime.MALFORMED_KINDS or case:
            head.append(f"{CASE_HEADER}: {case or kind}\n")
        head.append(state.list_headers)
        if not body.endswith(b"\n"):
            body += b"\n"
        raw = "".join(head).encode("ascii") + b"\n" + body
        if kind == mime.MISSING_MESSAGE_ID:
            return raw, None
        return raw, Post(msgid, refs, author, "" if kind in (mime.GARBLED_DATE, mime.MISSING_DATE) else date, quote)

    def body_text(
        self,
        state: ListState,
        thread: Thread,
        parent: Post | None,
        kind: str,
        author: Author,
    ) -> tuple[str, str]:
        """The message's text and the part of it a reply would quote."""
        rng = self.rng
        charset = mime.CHARSET_KINDS.get(kind)
        if charset:
            foreign = words.FOREIGN[charset]
            new = [foreign[int(rng.random() * len(foreign))]]
        else:
            bank = state.paragraphs
            rnd, size = rng.random, len(bank)
            new = [bank[int(rnd() * size)] for _ in range(1 + int(rnd() * (4 if state.topic == "prose" else 3)))]
            if rng.random() < state.code_rate:
                new.insert(
                    rng.randrange(len(new) + 1), words.CODE_BLOCKS[rng.randrange(len(words.CODE_BLOCKS))].rstrip("\n")
                )
            if thread.patch and parent is None:
                new.append(words.diff_text(rng, thread.target).rstrip("\n"))
        quote = "\n\n".join(new[:2])
        blocks = new
        if parent is not None:
            blocks, own_quote = self._with_quote(state, thread, parent, new)
            if own_quote:
                quote = own_quote + "\n\n" + quote
        tail = [author.signature] if author.signature else []
        footer = state.footer if kind == mime.PLAIN else ""
        text = "\n\n".join(blocks + tail) + "\n" + footer
        if charset:
            # Legacy charsets cannot carry everything the quote or signature may hold: drop what does not fit.
            for candidate in (text, "\n\n".join(new + tail) + "\n", "\n\n".join(new) + "\n"):
                try:
                    candidate.encode(charset)
                except UnicodeEncodeError:
                    continue
                return candidate, quote
        return text, quote

    def _with_quote(self, state: ListState, thread: Thread, parent: Post, new: list[str]) -> tuple[list[str], str]:
        """The reply's blocks around the parent's quoted text, and the quoted lines worth quoting again."""
        rng = self.rng
        who = parent.author.name or parent.author.email
        r = rng.random()
        if r < 0.1 or not parent.date:
            attribution = f"{who} wrote:"
        elif r < 0.8:
            attribution = f"On {parent.date}, {who} wrote:"
        elif r < 0.93:
            attribution = f"On {parent.date}, {who} <{parent.author.email}> wrote:"
        else:
            attribution = f"Am {parent.date} schrieb {who}:"
        style = rng.random()
        if style < 0.70:
            quoted = _quoted(parent.quote)
            again = [line for line in quoted.split("\n") if not line.startswith(("> >", ">>"))][:8]
            return [attribution + "\n" + quoted] + new, attribution + "\n" + "\n".join(again)
        if style < 0.82:
            blocks = [attribution]
            pieces = parent.quote.split("\n\n")
            for i, piece in enumerate(pieces):
                blocks.append(_quoted(piece))
                if i < len(new):
                    blocks.append(new[i])
            return blocks + new[len(pieces) :], ""
        if style < 0.90:
            original = (
                f"-----Original Message-----\nFrom: {who}\nSent: {parent.date or 'unknown'}\n"
                f"To: {state.spec.address}\nSubject: {thread.plain_subject}\n\n{parent.quote}"
            )
            return new + [original], ""
        return new, ""


def _quoted(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.split("\n"))
