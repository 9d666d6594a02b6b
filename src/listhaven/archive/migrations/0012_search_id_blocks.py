from django.db import migrations


def add_id_blocks(apps, schema_editor):
    """PostgreSQL: every stored vector gains the lexeme of its message's id block (search/pg_document.py,
    ID_BLOCK), which ranking a common word asks for; SQLite has no such table."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from listhaven.search.pg_document import ID_BLOCK, ID_BLOCK_SIZE
    from listhaven.search.postgres import TABLE

    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET document = document || ('''{ID_BLOCK}' || (message_id / %s) || '''')::tsvector",
            [ID_BLOCK_SIZE],
        )
        cursor.execute(f"ANALYZE {TABLE}")


class Migration(migrations.Migration):
    dependencies = [("archive", "0011_search_rank")]
    operations = [migrations.RunPython(add_id_blocks, migrations.RunPython.noop)]
