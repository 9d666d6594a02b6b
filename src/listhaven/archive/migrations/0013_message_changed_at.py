from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0012_search_id_blocks"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
