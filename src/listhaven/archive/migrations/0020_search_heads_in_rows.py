from django.db import migrations

_STEP = 20_000  # message ids a transaction moves


def move_heads(apps, schema_editor):
    """PostgreSQL: what ranking reads, each message's head and length, moved from their table
    (search_rank) into the vectors' rows (search/postgres.py, TABLE), where ranking reads the
    candidates' heads by the rows' addresses the walk has just visited, without a lookup by key.
    By ranges of ids, each committed on its own (the migration is not atomic): interrupted, it
    starts again and moves what is left; the table goes when every row has its head. A row
    without one (none is expected: every vector has had a head since archive.0011) gets it from
    its vector, as archive.0011 computed it. SQLite ranks with FTS5's bm25: nothing to do."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from django.db import transaction

    from listhaven.search.postgres import HEAD_SQL, TABLE, WORDS_SQL, PostgresBackend

    with connection.cursor() as cursor:
        PostgresBackend().create_schema(cursor)  # the head's columns, the triggers without the old table
        cursor.execute("SELECT to_regclass('search_rank') IS NOT NULL")
        (old_table,) = cursor.fetchone()
        cursor.execute(f"SELECT coalesce(min(message_id), 0), coalesce(max(message_id), 0) FROM {TABLE}")
        first, last = cursor.fetchone()
    for start in range(first - 1, last, _STEP) if old_table else ():
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {TABLE} d SET head = r.head, words = r.words FROM search_rank r "
                "WHERE r.message_id = d.message_id AND d.head IS NULL AND d.message_id > %s AND d.message_id <= %s",
                [start, start + _STEP],
            )
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        head, words = HEAD_SQL.format(vector="d.document"), WORDS_SQL.format(vector="d.document")
        cursor.execute(f"UPDATE {TABLE} d SET head = ({head}), words = ({words}) WHERE d.head IS NULL")
        cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN head SET NOT NULL, ALTER COLUMN words SET NOT NULL")
        cursor.execute("DROP TABLE IF EXISTS search_rank")
    with connection.cursor() as cursor:
        PostgresBackend().settle(cursor)  # ANALYZE


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("archive", "0019_search_list_lexemes")]
    operations = [migrations.RunPython(move_heads, migrations.RunPython.noop)]
