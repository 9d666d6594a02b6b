from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("lists", "0006_bounce_scores")]

    operations = [
        migrations.AddField(
            model_name="mailinglist",
            name="info",
            field=models.TextField(blank=True, help_text="a longer introduction for the list's page (Mailman's info)"),
        ),
    ]
