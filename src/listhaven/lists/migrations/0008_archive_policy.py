"""MailingList.archive_policy (public / members / owners) replaces is_private: a private list's
archive stays members-only."""

from django.db import migrations, models


def from_is_private(apps, schema_editor):
    MailingList = apps.get_model("lists", "MailingList")
    MailingList.objects.filter(is_private=True).update(archive_policy="members")


def to_is_private(apps, schema_editor):
    MailingList = apps.get_model("lists", "MailingList")
    MailingList.objects.exclude(archive_policy="public").update(is_private=True)


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
