"""`listhaven migrate-store --to postgres://...`: the SQLite store copied to PostgreSQL, resumable.

The tables are every model of every installed app (Django's app registry, parents before the rows that
point at them), so a new app's table is never left behind. Each table is copied in primary-key order in
chunks; a chunk and the key it ended on are committed together in the target (table
`listhaven_store_move`), so a copy killed at any point continues after the last committed key. Values go
through each field's own conversions (source to Python to target), never through `save()` or
`bulk_create`, which would rewrite `auto_now` dates. The search index is rebuilt on the target from the
copied messages; sequences are reset; the end compares row counts per table and a hash of every
message's id, Message-ID and raw bytes on both sides.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.management.color import no_style
from django.db import connections, models, transaction

TARGET = "store_move_target"
PROGRESS = "listhaven_store_move"
SCHEMA_STEP = "(schema)"
CHUNK = 500


class StoreMoveError(Exception):
    """A target the copy must not touch, or a copy that does not verify."""


@dataclass
class MoveReport:
    copied: dict[str, int] = field(default_factory=dict)
    resumed: bool = False
    indexed: int = 0
    messages_hash: str = ""


def models_in_order() -> list[type[models.Model]]:
    """Every concrete model with a table, each after the models its required foreign keys point at."""
    todo = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]
    ordered: list[type[models.Model]] = []
    while todo:
        placed = {m._meta.label for m in ordered}
        ready = [m for m in todo if _requires(m) <= placed] or todo[:1]  # a cycle: its copy fails loudly
        ordered += ready
        todo = [m for m in todo if m not in ready]
    return ordered


def _requires(model: type[models.Model]) -> set[str]:
    return {
        f.related_model._meta.label for f in model._meta.concrete_fields
        if f.is_relation and f.related_model and not f.null and f.related_model is not model
    }


def late_fields(model: type[models.Model], before: set[str]) -> list[models.Field[Any, Any]]:
    """Optional foreign keys to a model not copied before this one (or to itself, as a reply to a later
    message): copied empty, then filled in once every table is there (`_link`)."""
    return [
        f for f in model._meta.concrete_fields
        if f.is_relation and f.related_model and f.null and (f.related_model is model or f.related_model._meta.label not in before)
    ]


def move_store(target_url: str, chunk: int = CHUNK, say: Any = print) -> MoveReport:
    """Copies the default (SQLite) store to the PostgreSQL database of `target_url`."""
    from listhaven.site.settings import _database_from_url

    connections.databases[TARGET] = connections.configure_settings({"default": _database_from_url(target_url)})["default"]
    target = connections[TARGET]
    report = MoveReport()
    identity = _source_identity()
    report.resumed = _claim(target, identity)
    if _progress(target).get(SCHEMA_STEP) is None:
        _migrate(target_url)
        _empty_tables(target)
    before: set[str] = set()
    late = {}
    for model in models_in_order():
        late[model] = late_fields(model, before)
        report.copied[model._meta.db_table] = _copy_table(model, target, chunk, late[model])
        say(f"{model._meta.db_table}: {report.copied[model._meta.db_table]} rows")
        before.add(model._meta.label)
    for model, fields in late.items():
        if fields:
            _link(model, fields, target, chunk)
    _reset_sequences(target)
    report.indexed = rebuild_search(target)
    report.messages_hash = verify(target)
    with transaction.atomic(using=TARGET), target.cursor() as cursor:
        cursor.execute(f"UPDATE {PROGRESS} SET done = true")
    return report


def _source_identity() -> str:
    """The source store: its file and the moment its schema was first made (a copied file keeps it)."""
    source = connections["default"]
    with source.cursor() as cursor:
        cursor.execute("SELECT min(applied) FROM django_migrations")
        (created,) = cursor.fetchone()
    return f"{source.settings_dict['NAME']} created {created}"


def _claim(target: Any, identity: str) -> bool:
    """Marks the target as this store's copy; True when it already was (a resumed copy). Refuses a
    target holding anything else."""
    with transaction.atomic(using=TARGET), target.cursor() as cursor:
        tables = target.introspection.table_names(cursor)
        if PROGRESS in tables:
            cursor.execute(f"SELECT last_key FROM {PROGRESS} WHERE table_name = 'identity'")
            row = cursor.fetchone()
            if row is None or row[0] != identity:
                raise StoreMoveError(
                    f"the target holds a copy of another store ({row[0] if row else 'unknown'}), not of {identity}; "
                    "give an empty database"
                )
            return True
        if tables:
            raise StoreMoveError(
                f"the target database already holds tables ({', '.join(sorted(tables)[:5])}...): "
                "it may be another store; give an empty database"
            )
        cursor.execute(f"CREATE TABLE {PROGRESS} (table_name text PRIMARY KEY, last_key text, done boolean NOT NULL)")
        cursor.execute(f"INSERT INTO {PROGRESS} VALUES ('identity', %s, false)", [identity])
    return False


def _migrate(target_url: str) -> None:
    """The target's schema, by `listhaven migrate` with the target as its store: some data migrations
    write through the default database, which here is the source."""
    # The child inherits it; this process read its settings at start and keeps the source as default.
    os.environ["DATABASE_URL"] = target_url
    done = subprocess.run([sys.executable, "-m", "listhaven", "migrate"], capture_output=True, text=True, check=False)
    if done.returncode:
        raise StoreMoveError(f"creating the target's schema failed: {done.stderr.strip()[-2000:]}")


def _progress(target: Any) -> dict[str, Any]:
    with target.cursor() as cursor:
        cursor.execute(f"SELECT table_name, last_key FROM {PROGRESS} WHERE table_name <> 'identity'")
        return {name: json.loads(key) for name, key in cursor.fetchall()}


def _empty_tables(target: Any) -> None:
    """Rows `migrate` wrote itself (content types, permissions) would collide with the copied ones."""
    names = ", ".join(target.ops.quote_name(m._meta.db_table) for m in models_in_order())
    with transaction.atomic(using=TARGET), target.cursor() as cursor:
        cursor.execute(f"TRUNCATE {names} CASCADE")
        cursor.execute(f"INSERT INTO {PROGRESS} VALUES (%s, 'true', false)", [SCHEMA_STEP])


def _copy_table(model: type[models.Model], target: Any, chunk: int, late: list[models.Field[Any, Any]]) -> int:
    table = model._meta.db_table
    fields = list(model._meta.concrete_fields)
    pk = model._meta.pk.attname  # type: ignore[union-attr]
    columns = ", ".join(target.ops.quote_name(f.column) for f in fields)
    insert = f"INSERT INTO {target.ops.quote_name(table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    last = _progress(target).get(table)
    source_rows = model._base_manager.using("default").order_by(pk)
    for rows in _chunks(source_rows, pk, last, chunk, [f.attname for f in fields]):
        values = [
            [None if f in late else f.get_db_prep_save(v, connection=target) for f, v in zip(fields, row)] for row in rows
        ]
        with transaction.atomic(using=TARGET), target.cursor() as cursor:
            cursor.executemany(insert, values)
            _record(cursor, table, rows[-1][[f.attname for f in fields].index(pk)])
    return model._base_manager.using(TARGET).count()


def _record(cursor: Any, step: str, key: Any) -> None:
    cursor.execute(
        f"INSERT INTO {PROGRESS} VALUES (%s, %s, false) "
        "ON CONFLICT (table_name) DO UPDATE SET last_key = excluded.last_key",
        [step, json.dumps(key)],
    )


def _link(model: type[models.Model], fields: list[models.Field[Any, Any]], target: Any, chunk: int) -> None:
    """The foreign keys `late_fields` left empty, set from the source in key order, resumable too."""
    table, pk = model._meta.db_table, model._meta.pk.attname  # type: ignore[union-attr]
    step = f"{table} links"
    quote = target.ops.quote_name
    update = (
        f"UPDATE {quote(table)} SET {', '.join(f'{quote(f.column)} = %s' for f in fields)} "
        f"WHERE {quote(model._meta.pk.column)} = %s"  # type: ignore[union-attr]
    )
    names = [pk, *(f.attname for f in fields)]
    rows = model._base_manager.using("default").order_by(pk)
    for page in _chunks(rows, pk, _progress(target).get(step), chunk, names):
        values = [[*row[1:], row[0]] for row in page if any(v is not None for v in row[1:])]
        with transaction.atomic(using=TARGET), target.cursor() as cursor:
            cursor.executemany(update, values)
            _record(cursor, step, page[-1][0])


def _chunks(rows: Any, pk: str, last: Any, size: int, names: list[str]) -> Iterator[list[tuple[Any, ...]]]:
    position = names.index(pk)
    while True:
        page = rows.filter(**{f"{pk}__gt": last}) if last is not None else rows
        found = list(page.values_list(*names)[:size])
        if not found:
            return
        yield found
        last = found[-1][position]


def _reset_sequences(target: Any) -> None:
    statements = target.ops.sequence_reset_sql(no_style(), models_in_order())
    with transaction.atomic(using=TARGET), target.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def rebuild_search(target: Any) -> int:
    """The target's search index from its copied messages: what readers may see, as reindex does."""
    from listhaven.archive.models import Message
    from listhaven.search import backend_for
    from listhaven.search.documents import document_for_message

    backend = backend_for(target)
    pks = list(Message.objects.using(TARGET).visible().order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(pks), CHUNK):
        chunk = Message.objects.using(TARGET).filter(pk__in=pks[start : start + CHUNK]).prefetch_related("attachments")
        with transaction.atomic(using=TARGET), target.cursor() as cursor:
            backend.index(cursor, [document_for_message(m) for m in chunk])
    return len(pks)


def verify(target: Any) -> str:
    """Row counts per table and the hash of every message's id, Message-ID and raw bytes, on both sides."""
    differ = []
    for model in models_in_order():
        here, there = model._base_manager.using("default").count(), model._base_manager.using(TARGET).count()
        if here != there:
            differ.append(f"{model._meta.db_table}: {here} rows in the source, {there} in the target")
    if differ:
        raise StoreMoveError("the copy does not verify: " + "; ".join(differ))
    source, copied = messages_hash("default"), messages_hash(TARGET)
    if source != copied:
        raise StoreMoveError(f"the copy does not verify: messages hash {source} in the source, {copied} in the target")
    return source


def messages_hash(alias: str) -> str:
    """SHA-256 over every message in id order: its id, its Message-ID and its raw bytes as stored."""
    from listhaven.archive.models import Message, RawMessage

    digest = hashlib.sha256()
    raws = RawMessage.objects.using(alias)
    ids = Message.objects.using(alias).with_hidden().order_by("pk").values_list("pk", "message_id")
    last = 0
    while True:
        page = list(ids.filter(pk__gt=last)[:CHUNK])
        if not page:
            return digest.hexdigest()
        data = dict(raws.filter(message_id__in=[pk for pk, _ in page]).values_list("message_id", "data"))
        for pk, message_id in page:
            digest.update(f"{pk}\0{message_id}\0".encode())
            digest.update(bytes(data.get(pk) or b"<no raw bytes>"))
        last = page[-1][0]
