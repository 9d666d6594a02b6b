"""MailingList.archive_version and archive_changed_at: a counter every change of the archive
advances, and when it last did (the page cache's key, the pages' Last-Modified)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lists", "0009_erasure"),
    ]

    operations = [
        migrations.AddField(
            model_name="mailinglist",
            name="archive_version",
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="mailinglist",
            name="archive_changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
