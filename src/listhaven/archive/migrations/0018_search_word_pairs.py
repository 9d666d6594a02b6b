from django.db import migrations

_STEP = 5_000  # message ids a transaction re-indexes


def write_pairs(apps, schema_editor):
    """PostgreSQL: every stored vector written again, so that it holds its pairs of words
    (search/pg_document.py, PAIR), from which a two-word phrase is now answered without reading the
    vectors. Built from the stored messages as the ingest builds them, by ranges of ids, each range
    committed on its own (the migration is not atomic): interrupted, it starts again from the first
    id; a message stored meanwhile is indexed with its pairs. Only messages with a row are indexed
    (a removed message has none). The GIN index's pending entries are merged at the end. On 35,118
    messages of a kernel list about a minute; a million messages take some tens of minutes.
    SQLite's FTS5 keeps positions in its index: nothing to do."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from django.db import transaction

    from listhaven.search import backend_for
    from listhaven.search.documents import document_for_message
    from listhaven.search.postgres import TABLE

    message_model = apps.get_model("archive", "Message")
    backend = backend_for(connection)
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
            backend.index(cursor, [document_for_message(m) for m in messages])
    with connection.cursor() as cursor:
        backend.settle(cursor)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("archive", "0017_search_words_and_blocks")]
    operations = [migrations.RunPython(write_pairs, migrations.RunPython.noop)]
