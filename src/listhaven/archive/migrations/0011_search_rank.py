from django.db import migrations


def add_rank_head(apps, schema_editor):
    """PostgreSQL: the table ranking reads (search/postgres.py RANK_TABLE: a message's head and length,
    search/pg_document.py Vectors), filled from the stored vectors; SQLite has no such table."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from listhaven.search import backend_for
    from listhaven.search.postgres import HEAD_SQL, RANK_TABLE, TABLE, WORDS_SQL

    with connection.cursor() as cursor:
        backend_for(connection).create_schema(cursor)  # the new table and the triggers that follow messages
        head, words = HEAD_SQL.format(vector="d.document"), WORDS_SQL.format(vector="d.document")
        cursor.execute(
            f"INSERT INTO {RANK_TABLE} (message_id, head, words) SELECT d.message_id, ({head}), ({words}) "
            f"FROM {TABLE} d ON CONFLICT (message_id) DO NOTHING"
        )
        cursor.execute(f"ANALYZE {RANK_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("archive", "0010_search_rows_follow_by_trigger")]
    operations = [migrations.RunPython(add_rank_head, migrations.RunPython.noop)]
