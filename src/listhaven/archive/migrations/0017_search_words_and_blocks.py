from django.db import migrations


def fill_words_and_blocks(apps, schema_editor):
    """PostgreSQL: the search index's vocabulary (search/postgres.py, WORDS_TABLE), every lexeme of
    the stored vectors, from which a prefix is searched as the words it starts; and each id block's
    span of dates (BLOCKS_TABLE), from which words with a date range are searched in the blocks that
    range meets. The ingest keeps both with the vectors it writes; the triggers that follow the
    messages empty them with the index. SQLite lists a prefix's words from its own index (archive.0014)."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from listhaven.search.postgres import TABLE, VOCABULARY_SQL, PostgresBackend, blocks_sql

    with connection.cursor() as cursor:
        PostgresBackend().create_schema(cursor)  # the tables, and the truncate trigger that empties them
        cursor.execute(blocks_sql(TABLE))
        cursor.execute(VOCABULARY_SQL.format(rows=TABLE))


def drop_words_and_blocks(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from listhaven.search.postgres import BLOCKS_TABLE, RANK_TABLE, TABLE, WORDS_TABLE

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE OR REPLACE FUNCTION {TABLE}_follow_truncate() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$BEGIN TRUNCATE {TABLE}, {RANK_TABLE}; RETURN NULL; END$$"
        )
        cursor.execute(f"DROP TABLE IF EXISTS {WORDS_TABLE}, {BLOCKS_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("archive", "0016_month_counts")]
    operations = [migrations.RunPython(fill_words_and_blocks, drop_words_and_blocks)]
