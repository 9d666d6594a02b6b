from django.db import migrations


def fill_vocabulary(apps, schema_editor):
    """PostgreSQL: the search index's vocabulary (search/postgres.py, WORDS_TABLE), every lexeme of
    the stored vectors, from which a prefix is searched as the words it starts; the ingest adds the
    words of what it indexes. The triggers that follow the messages empty it with the index.
    SQLite lists a prefix's words from its own index (archive.0014)."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from listhaven.search.postgres import TABLE, VOCABULARY_SQL, PostgresBackend

    with connection.cursor() as cursor:
        PostgresBackend().create_schema(cursor)  # the table, and the truncate trigger that empties it
        cursor.execute(VOCABULARY_SQL.format(rows=TABLE))


def drop_vocabulary(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from listhaven.search.postgres import RANK_TABLE, TABLE, WORDS_TABLE

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {TABLE}_follow_truncate() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$BEGIN TRUNCATE {TABLE}, {RANK_TABLE}; RETURN NULL; END$$"
        )
        cursor.execute(f"DROP TABLE IF EXISTS {WORDS_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("archive", "0016_month_counts")]
    operations = [migrations.RunPython(fill_vocabulary, drop_vocabulary)]
