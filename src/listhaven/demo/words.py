"""Invented words and phrases the synthetic mail generator writes its bodies from.

Every name, sentence and address here is made up for the project; domains are the
RFC 2606 example ones. Banks are combined at random (from a seeded `random.Random`)
into sentences and paragraphs once per generator, then messages pick whole paragraphs:
that keeps generation fast while the text stays varied.
"""

from __future__ import annotations

import random
import textwrap

FIRST_NAMES = (
    "Ada",
    "Bram",
    "Carmen",
    "Dmitri",
    "Elif",
    "Farah",
    "Gideon",
    "Hana",
    "Ivo",
    "Jun",
    "Kasia",
    "Lior",
    "Maeve",
    "Nils",
    "Oona",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tala",
    "Uma",
    "Viktor",
    "Wren",
    "Xavier",
    "Yusuf",
    "Zelda",
    "Anouk",
    "Bertil",
    "Cosima",
    "Dario",
)
LAST_NAMES = (
    "Abernethy",
    "Brandvold",
    "Castellano",
    "Dunmore",
    "Eriksen",
    "Fairweather",
    "Galloway",
    "Halvorsen",
    "Iredale",
    "Jankowski",
    "Kowalczyk",
    "Lindqvist",
    "Marchetti",
    "Nakamura",
    "Okonkwo",
    "Pemberton",
    "Quarles",
    "Rasmussen",
    "Szabo",
    "Thornbury",
    "Underhill",
    "Vasquez",
    "Whitlock",
    "Yilmaz",
    "Zimmermann",
    "Ashdown",
    "Brennagh",
    "Coldwater",
)
# (display name, local part, preferred body charset or None): names outside ASCII travel as RFC 2047.
SPECIAL_AUTHORS = (
    ("José Müller", "jose.mueller", "iso-8859-1"),
    ("Zoë Achterberg", "zoe", "windows-1252"),
    ("山田 花子", "hanako.yamada", "iso-2022-jp"),
    ("佐藤 健一", "k.sato", "shift_jis"),
    ("Ольга Петрова", "olga.petrova", "koi8-r"),
    ("Søren Ødegård", "soeren", None),
    ("François Léger", "f.leger", "iso-8859-1"),
    ("Müller, Anna-Lena", "al.mueller", None),
)
DOMAINS = ("example.com", "example.net", "example.org", "post.example.com", "students.example.org")
TIMEZONES = (
    "-0600",
    "-0500",
    "-0700",
    "-0800",
    "-0300",
    "+0000",
    "+0100",
    "+0200",
    "+0530",
    "+0900",
    "+1000",
    "+1245",
    "-0930",
)
AGENTS = (
    "User-Agent: Mutt/2.2.9 (2022-11-12)",
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.6.0",
    "X-Mailer: Apple Mail (2.3731.700.6)",
    "User-Agent: Evolution 3.46.4",
    "X-Mailer: Claws Mail 4.1.1 (GTK 3.24.38; x86_64-pc-linux-gnu)",
    "User-Agent: Gnus/5.13 (Gnus v5.13)",
    "",
)

_SOFTWARE = (
    (
        "The new parser",
        "This patch",
        "The build on ARM",
        "Our release script",
        "The config loader",
        "Running the test suite",
        "The cache layer",
        "The fix from last week",
        "Version 2.4",
        "The CI job",
    ),
    (
        "breaks",
        "no longer handles",
        "silently ignores",
        "now rejects",
        "speeds up",
        "duplicates",
        "fixes",
        "leaks memory in",
        "times out on",
        "deadlocks in",
    ),
    (
        "empty input files",
        "the Windows path handling",
        "timezone offsets",
        "nested quotes",
        "the plugin registry",
        "large attachments",
        "the fallback charset",
        "UTF-8 headers",
        "symbolic links",
        "the retry loop",
    ),
    (
        "when the queue is full",
        "since the last merge",
        "on a cold start",
        "with the default settings",
        "under Python 3.11",
        "in about one run out of ten",
        "after a restart",
        "only on CI",
        "if the lock file is stale",
        "for anyone using the mbox backend",
    ),
)
_GARDEN = (
    (
        "The broad beans",
        "My rhubarb",
        "Plot 14",
        "The courgettes",
        "Our compost heap",
        "The new water butt",
        "The seed potatoes",
        "Her sweet peas",
        "The shared polytunnel",
        "The leeks",
    ),
    (
        "have finally",
        "never quite",
        "seem to have",
        "still",
        "are beginning to",
        "somehow",
        "did not",
        "always",
        "might",
        "will",
    ),
    (
        "come through the frost",
        "bolted in the heat",
        "attracted every slug in the county",
        "needed netting against the pigeons",
        "taken over the path",
        "been flattened by the wind",
        "fed the whole street",
        "rotted at the base",
        "sprouted early",
        "got blackfly again",
    ),
    (
        "this spring",
        "despite the rain",
        "after the working party",
        "since March",
        "by the shed",
        "near the gate",
        "as Bertil predicted",
        "for the third year running",
        "before the show",
        "which nobody expected",
    ),
)
_PROSE = (
    (
        "The third chapter",
        "Her argument about the river towns",
        "The translator’s preface",
        "This reading of the archive",
        "The author’s account of the strike",
        "The long footnote on tariffs",
        "The essay on the salt trade",
        "The closing section",
        "The letters from the harbour",
        "Okonkwo’s review",
    ),
    (
        "suggests",
        "quietly assumes",
        "never quite shows",
        "insists",
        "makes plain",
        "overstates",
        "half admits",
        "takes for granted",
        "argues persuasively",
        "doubts",
    ),
    (
        "that the guilds cooperated with both councils at once",
        "that the famine was a matter of distribution, not of harvest",
        "that the printers were the real organisers of the movement",
        "that nobody in the assembly read the treaty before signing it",
        "that the canal companies profited from the blockade",
        "that memory, not evidence, shaped the official history",
        "that the weavers’ demands were more modest than later claimed",
        "that the ferry strike began as a dispute about bread",
    ),
    (
        "— and that is exactly where I part company with it.",
        "— or so the footnotes would have us believe.",
        ", which deserves a closer look.",
        ", though the evidence in the appendix is thin.",
        "; the sources she cites point the other way.",
        ", and I find that hard to accept.",
        ". “Plausible,” as Viktor put it, “but unproven.”",
        ", as the second edition quietly concedes.",
    ),
)
TOPICS = {"software": _SOFTWARE, "garden": _GARDEN, "prose": _PROSE}

SUBJECTS = {
    "software": (
        "Segfault in the mbox reader",
        "Proposal: drop Python 3.9",
        "Release 2.4.1 schedule",
        "Flaky test in test_queue",
        "Why is the cache key a tuple?",
        "Build fails on musl",
        "RFC: plugin API v2",
        "Docs for the retry policy",
        "Memory use during import",
        "Windows path handling",
        "Timezone bug in the digest",
        "Café locale breaks sorting",
    ),
    "garden": (
        "Slugs again",
        "Working party on Saturday",
        "Spare seed potatoes",
        "Water butt rota",
        "Who left the gate open?",
        "Rhubarb forcing pots",
        "Show results",
        "Blight warning",
        "Compost bins — new rules",
        "Recipe: courgette glut soup",
        "Zoë's greenhouse tomatoes",
    ),
    "prose": (
        "On the river towns chapter",
        "Next month's book",
        "The translator’s preface",
        "Was the ferry strike about bread?",
        "Reading notes: the salt trade essay",
        "A question about the appendix",
        "Memory and the official history",
        "Meeting moved to Thursday",
        "Archive trip report",
        "Review: “The Harbour Letters”",
    ),
}

URLS = (
    "https://www.example.org/notes/river-towns.html",
    "http://example.com/~quentin/drafts/chapter3.pdf",
    "https://git.example.net/harbour/harbour/commit/4f2a9c1e",
    "https://bugs.example.org/show_bug.cgi?id=20431&comment=7#c7",
    "https://docs.example.com/harbour/2.4/config.html#retry-policy",
    "ftp://ftp.example.net/pub/harbour/harbour-2.4.1.tar.gz",
    "https://allotments.example.net/plots/14/photos?year=2019&sort=desc",
    "<https://www.example.com/a/very/long/path/that/goes/on/and/on/for/quite/a/while/index.html>",
)

CODE_BLOCKS = (
    (
        "    def load(path):\n        with open(path, 'rb') as fh:\n            for line in fh:\n"
        "                if line.startswith(b'From '):\n                    yield line\n"
    ),
    (
        "    $ harbour import --list dev archive.mbox\n    Traceback (most recent call last):\n"
        '      File "harbour/cli.py", line 88, in main\n        run(args)\n'
        "    KeyError: 'charset'\n"
    ),
    (
        "    static int\n    queue_push(struct queue *q, void *item)\n    {\n"
        "            if (q->len == q->cap)\n                    return -EAGAIN;\n"
        "            q->items[q->len++] = item;\n            return 0;\n    }\n"
    ),
    (
        "      +--------+      +---------+      +---------+\n      | source | ---> |  parse  | ---> |  store  |\n"
        "      +--------+      +---------+      +---------+\n                          |\n"
        "                          v\n                     +---------+\n                     |  index  |\n"
        "                     +---------+\n"
    ),
    (
        "        ___\n      _/   \\_     the plot layout, north at the top\n     / 14 | 15 \\\n"
        "    |----+----|   <- water butt between 14 and 15\n     \\ 16 | 17 /\n      \\___|___/\n"
    ),
    (
        "    | column     | type    | notes            |\n    |------------|---------|------------------|\n"
        "    | message_id | text    | normalised       |\n    | date       | integer | seconds, UTC     |\n"
    ),
)

FOREIGN = {
    "iso-8859-1": (
        (
            "Grüße aus Köln! Die Änderung am Parser funktioniert bei mir, aber die Umlaute im Betreff"
            " werden noch falsch dargestellt."
        ),
        (
            "Je suis d'accord avec François : le chapitre sur les villes fluviales est trop long, "
            "mais la préface est très réussie. À bientôt !"
        ),
        "¿Alguien tiene semillas de habas para el sábado? Mañana paso por la parcela después del trabajo.",
    ),
    "windows-1252": (
        "That’s the “official” line — but the minutes say otherwise… I’d check the appendix (€12 at the shop).",
        "Zoë’s tomatoes won again – “best in show”, which nobody’s surprised about.",
    ),
    "koi8-r": (
        "Привет всем! Я прочитала третью главу и не согласна с автором: гильдии работали с обоими советами.",
        "Сборка на ARM снова падает, лог приложу завтра утром.",
    ),
    "iso-2022-jp": (
        "こんにちは。新しいパーサーを試しましたが、件名の文字化けがまだ残っています。",
        "来週の読書会は木曜日に変更になりました。よろしくお願いします。",
    ),
    "shift_jis": (
        "ビルドが失敗します。ログを添付しますので、確認をお願いします。",
        "畑のトマトがやっと赤くなりました。週末に収穫しましょう。",
    ),
}
FOREIGN_SUBJECTS = {
    "iso-8859-1": "Grüße und eine Frage zur Änderung",
    "windows-1252": "Zoë’s “best in show” – again",
    "koi8-r": "Вопрос о третьей главе",
    "iso-2022-jp": "件名の文字化けについて",
    "shift_jis": "ビルドの失敗について",
}


def sentence(rng: random.Random, topic: str) -> str:
    """One sentence from the topic's four fragment banks."""
    parts = TOPICS[topic]
    head, verb, obj, tail = (p[rng.randrange(len(p))] for p in parts)
    text = f"{head} {verb} {obj} {tail}"
    if not text.endswith((".", "”")):
        text += "."
    return text.replace(" ,", ",").replace(" ;", ";").replace(" .", ".")


def subject_phrase(rng: random.Random, topic: str) -> str:
    """A subject line from the first three fragment banks ("The cache layer leaks memory in ...")."""
    head, verb, obj = (p[rng.randrange(len(p))] for p in TOPICS[topic][:3])
    return f"{head} {verb} {obj}"


def paragraph_bank(rng: random.Random, topic: str, size: int) -> list[str]:
    """`size` paragraphs: mostly wrapped at 72, some with URLs, long lines or indented blocks."""
    long_topic = topic == "prose"
    bank = []
    for _ in range(size):
        count = rng.randint(4, 9) if long_topic else rng.randint(1, 5)
        text = " ".join(sentence(rng, topic) for _ in range(count))
        roll = rng.random()
        if roll < 0.12:
            text += f" See {URLS[rng.randrange(len(URLS))]} for the details."
        if roll > 0.90:
            bank.append(text)  # one long unwrapped line, as some clients send
        elif long_topic and roll > 0.80:
            bank.append(_fill(text, 64, "    "))
        else:
            bank.append(_fill(text, 72, ""))
    return bank


def _fill(text: str, width: int, indent: str) -> str:
    # Long words stay whole so URLs are never split across lines.
    return textwrap.fill(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def diff_text(rng: random.Random, number: int) -> str:
    """A small unified diff, as a patch attachment or inline patch carries."""
    name = ("harbour/parse.py", "harbour/queue.py", "harbour/cli.py", "docs/config.rst")[number % 4]
    line = rng.randint(10, 400)
    return (
        f"diff --git a/{name} b/{name}\nindex {rng.getrandbits(28):07x}..{rng.getrandbits(28):07x} 100644\n"
        f"--- a/{name}\n+++ b/{name}\n@@ -{line},6 +{line},7 @@ def handle(self, item):\n"
        "         if item is None:\n             return\n-        self.items.append(item)\n"
        "+        if len(self.items) >= self.limit:\n+            raise QueueFull(self.limit)\n"
        "+        self.items.append(item)\n         self.count += 1\n"
    )
