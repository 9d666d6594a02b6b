from django.db import migrations

_STEP = 5_000  # message ids a transaction writes


def add_list_lexemes(apps, schema_editor):
    """PostgreSQL: every stored vector gains the lexeme of its message's list (search/pg_document.py,
    LIST), which a search within one list asks the GIN index for beside its words; and the index on
    (list, id) from which such a search starts (search/postgres.py, _newest). By ranges of ids, each
    committed on its own (the migration is not atomic): interrupted, it starts again and leaves the
    vectors that already hold their list's lexeme as they are. SQLite's FTS5 answers a list from
    its own column: nothing to do."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from django.db import transaction

    from listhaven.search.pg_document import LIST
    from listhaven.search.postgres import TABLE, PostgresBackend, listed

    with connection.cursor() as cursor:
        PostgresBackend().create_schema(cursor)  # the index on (list_id, message_id)
        cursor.execute(f"SELECT coalesce(min(message_id), 0), coalesce(max(message_id), 0) FROM {TABLE}")
        first, last = cursor.fetchone()
    for start in range(first - 1, last, _STEP):
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {TABLE} SET document = {listed('document', 'list_id')} "
                "WHERE message_id > %s AND message_id <= %s "
                f"AND NOT document @@ quote_literal('{LIST}' || list_id)::tsquery",
                [start, start + _STEP],
            )
    with connection.cursor() as cursor:
        PostgresBackend().settle(cursor)  # the GIN index's pending entries merged, ANALYZE


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("archive", "0018_search_word_pairs")]
    operations = [migrations.RunPython(add_list_lexemes, migrations.RunPython.noop)]
