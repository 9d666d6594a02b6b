from django.db import migrations


def follow_by_trigger(apps, schema_editor):
    """PostgreSQL: the search table's foreign key becomes delete and truncate triggers (search/postgres.py
    says why); its schema statements are idempotent, so running them again makes the change."""
    if schema_editor.connection.vendor != "postgresql":
        return
    from listhaven.search import backend_for

    with schema_editor.connection.cursor() as cursor:
        backend_for(schema_editor.connection).create_schema(cursor)


class Migration(migrations.Migration):
    dependencies = [("archive", "0009_store_identity")]
    operations = [migrations.RunPython(follow_by_trigger, migrations.RunPython.noop)]
