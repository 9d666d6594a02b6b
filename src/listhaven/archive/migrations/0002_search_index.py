from django.db import migrations


def create_search_schema(apps, schema_editor):
    from listhaven.search import backend_for

    with schema_editor.connection.cursor() as cursor:
        backend_for(schema_editor.connection).create_schema(cursor)


def drop_search_schema(apps, schema_editor):
    from listhaven.search import backend_for

    with schema_editor.connection.cursor() as cursor:
        backend_for(schema_editor.connection).drop_schema(cursor)


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]
    operations = [migrations.RunPython(create_search_schema, drop_search_schema)]
