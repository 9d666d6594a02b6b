from django.db import migrations

# A vector's lexemes holding a capital or a non-ASCII character, as text (the only ones that folding
# before decomposing can have left unlowered; which are, Python decides).
_SUSPECT = r"[A-Z]|[^\x01-\x7f]"
_STEP = 20_000  # message ids a statement scans


def relower(apps, schema_editor):
    """PostgreSQL: the messages whose vectors hold a lexeme that is not lower case are indexed again.
    search/pg_document.py fold() lowered text before decomposing it, and compatibility characters
    decompose to capitals (Windows™ gave 'windowsTM', ℍ 'H'), out of reach of any query. Scanned by
    ranges of ids, each re-indexed range committed on its own (the migration is not atomic): if it
    is interrupted, running it again scans everything again and finds only what is left; a message
    stored meanwhile is indexed by the new fold. SQLite's FTS5 folds case itself: nothing to do."""
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
        cursor.execute(f"SELECT coalesce(max(message_id), 0) FROM {TABLE}")
        (last,) = cursor.fetchone()
    for start in range(0, last, _STEP):
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT d.message_id, ARRAY(SELECT l FROM unnest(tsvector_to_array(d.document)) l WHERE l ~ %s) "
                f"FROM {TABLE} d WHERE d.message_id > %s AND d.message_id <= %s "
                "AND array_to_string(tsvector_to_array(d.document), ' ') ~ %s",
                [_SUSPECT, start, start + _STEP, _SUSPECT],
            )
            stale = [pk for pk, lexemes in cursor.fetchall() if any(lexeme != lexeme.lower() for lexeme in lexemes)]
            messages = message_model._base_manager.filter(pk__in=stale).prefetch_related("attachments").order_by("pk")
            backend.index(cursor, [document_for_message(m) for m in messages])


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("archive", "0014_search_words")]
    operations = [migrations.RunPython(relower, migrations.RunPython.noop)]
