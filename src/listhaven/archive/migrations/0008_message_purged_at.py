from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0007_mailinglist_moved_to_lists"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="purged_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
