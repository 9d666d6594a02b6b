from django.db import migrations


def create_month_counts(apps, schema_editor):
    """The messages of each list by month (archive/month_counts.py): the table, the triggers that keep
    it, and its rows counted once from the stored messages (one pass over the (list, date) index)."""
    from listhaven.archive import month_counts

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        month_counts.create_schema(cursor, connection.vendor)
    month_counts.recount()


def drop_month_counts(apps, schema_editor):
    from listhaven.archive import month_counts

    connection = schema_editor.connection
    with connection.cursor() as cursor:
        month_counts.drop_schema(cursor, connection.vendor)


class Migration(migrations.Migration):
    dependencies = [("archive", "0015_search_lower_after_nfkd")]
    operations = [migrations.RunPython(create_month_counts, drop_month_counts)]
