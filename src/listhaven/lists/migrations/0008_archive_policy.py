"""MailingList.archive_policy (public / members / owners) replaces is_private: a private list's
archive stays members-only."""

from django.db import migrations, models


def from_is_private(apps, schema_editor):
    # The database being migrated, which is not always the default one (`migrate --database`).
    lists = apps.get_model("lists", "MailingList").objects.using(schema_editor.connection.alias)
    lists.filter(is_private=True).update(archive_policy="members")


def to_is_private(apps, schema_editor):
    lists = apps.get_model("lists", "MailingList").objects.using(schema_editor.connection.alias)
    lists.exclude(archive_policy="public").update(is_private=True)


class Migration(migrations.Migration):
    dependencies = [
        ("lists", "0007_list_info"),
    ]

    operations = [
        migrations.AddField(
            model_name="mailinglist",
            name="archive_policy",
            field=models.CharField(
                choices=[("public", "public"), ("members", "members only"), ("owners", "owners only")],
                default="public",
                max_length=8,
            ),
        ),
        migrations.RunPython(from_is_private, to_is_private),
        migrations.RemoveField(model_name="mailinglist", name="is_private"),
    ]
