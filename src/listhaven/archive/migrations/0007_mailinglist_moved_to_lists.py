"""Last step of moving MailingList to the `lists` app: the archive's foreign keys point to lists.MailingList
(the columns already reference its table), the archive forgets its own MailingList, and the content type (with
the admin permissions and log entries attached to it) follows the model."""

import django.db.models.deletion
from django.db import migrations, models


def _move_content_type(apps, schema_editor, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if not content_type.objects.using(db).filter(app_label=new, model="mailinglist").exists():
        content_type.objects.using(db).filter(app_label=old, model="mailinglist").update(app_label=new)


def forwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, "archive", "lists")


def backwards(apps, schema_editor):
    _move_content_type(apps, schema_editor, "lists", "archive")


def _to_lists(model_name, related_name, db_index=True):
    return migrations.AlterField(
        model_name=model_name,
        name="mailing_list",
        field=models.ForeignKey(
            db_index=db_index,
            on_delete=django.db.models.deletion.CASCADE,
            related_name=related_name,
            to="lists.mailinglist",
        ),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0006_mailinglist_table_for_lists"),
        ("lists", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                _to_lists("importrun", "+"),
                _to_lists("message", "messages"),
                _to_lists("quarantine", "quarantined"),
                _to_lists("thread", "threads", db_index=False),
                _to_lists("threadalias", "+"),
                _to_lists("threadref", "+", db_index=False),
                migrations.DeleteModel(name="MailingList"),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
