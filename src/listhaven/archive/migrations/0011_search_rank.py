from django.db import migrations


def add_rank_head(apps, schema_editor):
    """PostgreSQL: what ranking reads (a message's head and length, search/pg_document.py Vectors),
    computed from the stored vectors; SQLite has none. Written then to a table of its own
    (search_rank), now to the vectors' rows (archive.0020 moves what that table holds)."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from listhaven.search import backend_for
    from listhaven.search.postgres import HEAD_SQL, TABLE, WORDS_SQL

    with connection.cursor() as cursor:
        backend_for(connection).create_schema(cursor)  # the head's columns and the triggers that follow messages
        head, words = HEAD_SQL.format(vector="d.document"), WORDS_SQL.format(vector="d.document")
        cursor.execute(f"UPDATE {TABLE} d SET head = ({head}), words = ({words}) WHERE d.head IS NULL")
        cursor.execute(f"ANALYZE {TABLE}")


class Migration(migrations.Migration):
    dependencies = [("archive", "0010_search_rows_follow_by_trigger")]
    operations = [migrations.RunPython(add_rank_head, migrations.RunPython.noop)]
