"""Threading: JWZ's algorithm (https://www.jwz.org/doc/threading.html), written without recursion.

Two questions, two functions:

- Which messages share a thread (membership): `thread_links` names the pairs of ids that are in
  one thread, `thread_membership` groups a whole list by them. The ingest (a batch at a time,
  against what is stored) and `listhaven reindex` (a whole list) both ask `thread_links`, so a
  thread's members never depend on the order or batches in which messages arrived: every link
  depends only on the two messages it joins, and a thread is a connected component of links.
  Links: a message and every id it references; and the bounded subject rule: a message without
  references whose subject looks like a reply (`is_reply_subject`: Re:, AW:, WG:, Odp:, ...)
  and every message of the same non-empty normalised subject dated at most `subject_window`
  before it (not after: a reply does not answer what was written later).
- How one thread is drawn (layout): `thread_messages` below.

Given each message's id, references (oldest first), normalised subject and date, build the
forest of threads a reader sees:

1. Link containers along every References chain; a message's parent is its last reference.
   A link that would make a container its own ancestor is not made (cycles, self-references,
   conflicting References). Messages are processed sorted by (date, message id), so the rare
   conflicts between References headers are settled the same way whatever the input order.
2. Ids that are referenced but absent stay as placeholders, so a reply to a missing message shows
   under it and siblings under one missing parent stay together. Placeholders with no message
   below them are dropped. (JWZ also promotes the children of placeholders; keeping them shows
   where a message is missing.)
3. Subject grouping (JWZ step 5), bounded in time: a root message that has no references at
   all joins the thread holding the message with the same normalised subject nearest in time,
   provided the two dates are at most `subject_window` apart (30 days by default) and that thread
   started no later than the root. It becomes a child of that thread's root. This catches replies
   from mailers that drop References without merging unrelated threads that reuse a subject
   months later. Empty subjects never group.
4. Display order: depth first; siblings (and threads) sorted by date then message id, where a
   placeholder's date is the earliest date below it.

Nothing here recurses on user data, so a 10,000-deep reply chain is fine.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from listhaven.mail.subjects import is_reply_subject

DEFAULT_SUBJECT_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class ThreadItem:
    """What threading needs of a message; `references` are normalised ids, oldest first.

    `subject` (as received) only matters to membership: whether it looks like a reply."""

    message_id: str
    references: tuple[str, ...]
    subject_normalised: str
    date: datetime
    subject: str = ""


@dataclass(frozen=True, slots=True)
class ThreadPosition:
    """A message's place in the forest.

    parent_id: the nearest ancestor that is a real message (None at the top or under placeholders only).
    depth: levels above it in the displayed tree, placeholders included (a thread's root has 0).
    order: position in display order over the whole forest, from 0 (threads by date, each depth first).
    thread_id: the message id of the thread's root container (a placeholder's id when it is missing).
    """

    message_id: str
    parent_id: str | None
    depth: int
    order: int
    thread_id: str


class Container:
    """A node of the forest: a message (`item`) or a placeholder for an id only referenced."""

    __slots__ = (
        "children",
        "earliest",
        "has_references",
        "item",
        "message_id",
        "parent",
    )

    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        self.item: ThreadItem | None = None
        self.parent: Container | None = None
        self.children: list[Container] = []
        self.earliest: datetime | None = None  # earliest message date in this subtree
        self.has_references = False

    @property
    def is_placeholder(self) -> bool:
        return self.item is None

    def sort_key(self) -> tuple[datetime, str]:
        date = self.item.date if self.item is not None else self.earliest
        assert date is not None, (
            "placeholders without messages are pruned before sorting"
        )
        return (date, self.message_id)

    def __repr__(self) -> str:
        kind = "placeholder" if self.item is None else "message"
        return f"<Container {kind} {self.message_id!r} children={len(self.children)}>"


@dataclass
class ThreadForest:
    """The threads: `roots` (containers, placeholders included) and one position per message."""

    roots: list[Container]
    positions: list[ThreadPosition] = field(default_factory=list)

    def threads(self) -> list[list[str]]:
        """Message ids of each thread, in display order."""
        grouped: list[list[str]] = []
        current: str | None = None
        for position in self.positions:
            if position.thread_id != current:
                grouped.append([])
                current = position.thread_id
            grouped[-1].append(position.message_id)
        return grouped


def _canonical(items: Iterable[ThreadItem]) -> list[ThreadItem]:
    """One item per message id, sorted by (date, id): the order the algorithm sees, whatever the input's."""
    chosen: dict[str, ThreadItem] = {}
    for item in items:
        kept = chosen.get(item.message_id)
        if kept is None or _tie_key(item) < _tie_key(kept):
            chosen[item.message_id] = item
    return sorted(chosen.values(), key=lambda item: (item.date, item.message_id))


def _tie_key(item: ThreadItem) -> tuple[datetime, tuple[str, ...], str]:
    return (item.date, item.references, item.subject_normalised)


def _would_loop(parent: Container, child: Container) -> bool:
    """Whether making `child` a child of `parent` would make a container its own ancestor."""
    if parent is child:
        return True
    if not child.children:  # a leaf cannot be anyone's ancestor
        return False
    node: Container | None = parent
    while node is not None:
        if node is child:
            return True
        node = node.parent
    return False


def _set_parent(parent: Container, child: Container) -> None:
    if child.parent is not None:
        child.parent.children.remove(child)
    child.parent = parent
    parent.children.append(child)


class _Linker:
    """JWZ step 1: the id table and the links References imply."""

    def __init__(self) -> None:
        self.table: dict[str, Container] = {}

    def get(self, message_id: str) -> Container:
        container = self.table.get(message_id)
        if container is None:
            container = self.table[message_id] = Container(message_id)
        return container

    def add(self, item: ThreadItem) -> None:
        container = self.get(item.message_id)
        container.item = item
        references = [
            ref
            for ref in dict.fromkeys(item.references)
            if ref and ref != item.message_id
        ]
        container.has_references = bool(references)
        chain = [self.get(ref) for ref in references]
        for parent, child in itertools.pairwise(chain):
            # Links already made by another message stand: References disagree more often than not.
            if child.parent is None and not _would_loop(parent, child):
                _set_parent(parent, child)
        if (
            chain
            and container.parent is not chain[-1]
            and not _would_loop(chain[-1], container)
        ):
            _set_parent(
                chain[-1], container
            )  # the message's own References decide its parent


def _preorder(root: Container) -> Iterator[Container]:
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children)


def _prune(root: Container) -> bool:
    """Drop placeholder subtrees without messages; set `earliest`. False when nothing remains."""
    for node in reversed(list(_preorder(root))):  # children before their parents
        node.children = [child for child in node.children if child.earliest is not None]
        dates = [
            child.earliest for child in node.children if child.earliest is not None
        ]
        if node.item is not None:
            dates.append(node.item.date)
        node.earliest = min(dates) if dates else None
    return root.earliest is not None


class _SubjectIndex:
    """Per normalised subject, the (date, thread root id) of every message placed so far, sorted."""

    def __init__(self, window: timedelta) -> None:
        self.window = window
        self.entries: dict[str, list[tuple[datetime, str]]] = {}

    def add_thread(self, root: Container, thread_id: str) -> None:
        for node in _preorder(root):
            if node.item is not None and node.item.subject_normalised:
                entry = (node.item.date, thread_id)
                bisect.insort(
                    self.entries.setdefault(node.item.subject_normalised, []), entry
                )

    def nearest(self, subject: str, date: datetime) -> str | None:
        """The thread of the same-subject message nearest `date` within the window (earlier wins a tie)."""
        entries = self.entries.get(subject)
        if not subject or not entries:
            return None
        at = bisect.bisect_left(entries, (date, ""))
        candidates = [entries[i] for i in (at - 1, at) if 0 <= i < len(entries)]
        best = min(candidates, key=lambda entry: (abs(entry[0] - date), entry[0]))
        return best[1] if abs(best[0] - date) <= self.window else None


def _group_by_subject(roots: list[Container], window: timedelta) -> list[Container]:
    """JWZ step 5 with a time window (see the module docstring); returns the remaining roots."""
    index = _SubjectIndex(window)
    kept: dict[str, Container] = {}
    for root in sorted(roots, key=Container.sort_key):
        target = None
        if root.item is not None and not root.has_references:
            target = index.nearest(root.item.subject_normalised, root.item.date)
        if target is None:
            kept[root.message_id] = root
            index.add_thread(root, root.message_id)
            continue
        thread_root = kept[target]
        _set_parent(thread_root, root)
        assert root.earliest is not None and thread_root.earliest is not None
        thread_root.earliest = min(thread_root.earliest, root.earliest)
        index.add_thread(root, target)
    return list(kept.values())


def _positions(roots: list[Container]) -> list[ThreadPosition]:
    positions: list[ThreadPosition] = []
    for root in roots:
        stack: list[tuple[Container, int, str | None]] = [(root, 0, None)]
        while stack:
            node, depth, real_parent = stack.pop()
            if node.item is not None:
                positions.append(
                    ThreadPosition(
                        node.message_id,
                        real_parent,
                        depth,
                        len(positions),
                        root.message_id,
                    )
                )
                real_parent = node.message_id
            node.children.sort(key=Container.sort_key)
            stack.extend(
                (child, depth + 1, real_parent) for child in reversed(node.children)
            )
    return positions


def thread_messages(
    items: Iterable[ThreadItem], subject_window: timedelta = DEFAULT_SUBJECT_WINDOW
) -> ThreadForest:
    """Thread the messages; the result does not depend on the order of `items`.

    A message id given twice is threaded once (the earliest-dated item is used).
    """
    linker = _Linker()
    for item in _canonical(items):
        linker.add(item)
    roots = [
        container for container in linker.table.values() if container.parent is None
    ]
    roots = [root for root in roots if _prune(root)]
    roots = sorted(_group_by_subject(roots, subject_window), key=Container.sort_key)
    return ThreadForest(roots, _positions(roots))


def group_threads(
    items: Iterable[ThreadItem], subject_window: timedelta = DEFAULT_SUBJECT_WINDOW
) -> list[list[str]]:
    """Message ids of each thread, threads in date order, each in display order."""
    return thread_messages(items, subject_window).threads()


def joins_by_subject(item: ThreadItem) -> bool:
    """Whether the subject rule may join `item` to earlier messages: no references, a reply's subject."""
    return not item.references and bool(item.subject_normalised) and is_reply_subject(item.subject)


def thread_links(
    items: Iterable[ThreadItem],
    known: Iterable[ThreadItem] = (),
    subject_window: timedelta = DEFAULT_SUBJECT_WINDOW,
) -> list[tuple[str, str]]:
    """Pairs of message ids in one thread (the module docstring gives the rule), at least one of
    each pair from `items`. `known` are messages already linked among themselves (stored ones the
    subject rule could reach); links between them are not repeated. Each link depends on its two
    messages only, so threads as connected components are the same in any arrival order."""
    new = list(items)
    links = [(item.message_id, ref) for item in new for ref in item.references if ref]
    by_subject: dict[str, list[tuple[datetime, str, bool, ThreadItem]]] = {}
    for is_new, group in ((True, new), (False, known)):
        for item in group:
            if item.subject_normalised:
                entry = (item.date, item.message_id, is_new, item)
                by_subject.setdefault(item.subject_normalised, []).append(entry)
    for entries in by_subject.values():
        if len(entries) > 1:
            links += _subject_links(entries, subject_window)
    return links


def _subject_links(
    entries: list[tuple[datetime, str, bool, ThreadItem]], window: timedelta
) -> Iterator[tuple[str, str]]:
    """Within one subject: each reply without references with every message up to `window` before it."""
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    dates = [entry[0] for entry in entries]
    for date, message_id, is_new, item in entries:
        if not joins_by_subject(item):
            continue
        start = bisect.bisect_left(dates, date - window)
        end = bisect.bisect_right(dates, date)
        for _, other_id, other_new, _ in entries[start:end]:
            if other_id != message_id and (is_new or other_new):
                yield (message_id, other_id)


def thread_membership(
    items: Sequence[ThreadItem], subject_window: timedelta = DEFAULT_SUBJECT_WINDOW
) -> list[list[str]]:
    """The messages' ids grouped into threads (connected components of `thread_links`), each group
    in the order of `items`, groups by their first member. Ids only referenced are not listed; an
    id given twice (a reused Message-ID) is listed once, and the links of both items count."""
    components = UnionFind()
    for item in items:
        components.find(item.message_id)
    for a, b in thread_links(items, (), subject_window):
        components.union(a, b)
    groups: dict[str, dict[str, None]] = {}
    for item in items:
        groups.setdefault(components.find(item.message_id), {})[item.message_id] = None
    return [list(group) for group in groups.values()]


class UnionFind:
    """Disjoint sets of strings (ids), without recursion."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, node: str) -> str:
        root = node
        while self.parent.setdefault(root, root) != root:
            root = self.parent[root]
        while self.parent[node] != root:  # path compression, iteratively
            self.parent[node], node = root, self.parent[node]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[rb] = ra
