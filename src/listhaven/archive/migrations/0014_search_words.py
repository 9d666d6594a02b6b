from django.db import migrations


def create_words_table(apps, schema_editor):
    """SQLite: the index's words, one row per occurrence, read lazily (search/fts5.py, WORDS): a
    prefix is searched as the words it starts. An fts5vocab table holds no data of its own."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    from listhaven.search import fts5

    with connection.cursor() as cursor:
        fts5.create_words_table(cursor)


def drop_words_table(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    from listhaven.search.fts5 import WORDS

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {WORDS}")


class Migration(migrations.Migration):
    dependencies = [("archive", "0013_message_changed_at")]
    operations = [migrations.RunPython(create_words_table, drop_words_table)]
