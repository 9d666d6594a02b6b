from django.db import migrations

_STEP = 5_000  # message ids a transaction re-indexes


def write_pairs(apps, schema_editor):
    """PostgreSQL: every stored vector written again, so that it holds its pairs of words
    (search/pg_document.py, PAIR), from which a two-word phrase is now answered without reading the
    vectors. Built from the stored messages as the ingest builds them (with their lists' lexemes,
    which archive.0019 adds to the vectors this one leaves), by ranges of ids, each range
    committed on its own (the migration is not atomic): interrupted, it starts again from the first
    id; a message stored meanwhile is indexed with its pairs. Only the vectors are written (the
    heads, the vocabulary and the blocks' dates do not change), only of messages with a row (a
    removed message has none). On 35,114 messages of a kernel list 109 s at load ~2, most of it
    PostgreSQL reading the vectors' text (dropping the GIN index meanwhile and building it at the end
    took as long). SQLite's FTS5 keeps positions in its index: nothing to do."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from django.db import transaction

    from listhaven.search.documents import document_for_message
    from listhaven.search.pg_document import vectors
    from listhaven.search.postgres import TABLE, PostgresBackend, listed

    message_model = apps.get_model("archive", "Message")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT coalesce(min(message_id), 0), coalesce(max(message_id), 0) FROM {TABLE}")
        first, last = cursor.fetchone()
    for start in range(first - 1, last, _STEP):
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT message_id FROM {TABLE} WHERE message_id > %s AND message_id <= %s", [start, start + _STEP]
            )
            indexed = [pk for (pk,) in cursor.fetchall()]
            messages = message_model._base_manager.filter(pk__in=indexed).prefetch_related("attachments").order_by("pk")
            documents = [document_for_message(m) for m in messages]
            cursor.execute(
                f"UPDATE {TABLE} d SET document = {listed('v.document', 'd.list_id')} "
                "FROM unnest(%s::bigint[], %s::tsvector[]) AS v(id, document) "
                "WHERE d.message_id = v.id",
                [[d.rowid for d in documents], [vectors(d).document for d in documents]],
            )
    with connection.cursor() as cursor:
        PostgresBackend().settle(cursor)  # the GIN index's pending entries merged, ANALYZE


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("archive", "0017_search_words_and_blocks")]
    operations = [migrations.RunPython(write_pairs, migrations.RunPython.noop)]
