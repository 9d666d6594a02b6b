"""MailingList, moved here from the `archive` app: the table exists already (archive.0006 renamed it), so this
only declares the model in the `lists` app's state."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("archive", "0006_mailinglist_table_for_lists")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="MailingList",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.SlugField(max_length=100, unique=True)),
                        ("address", models.EmailField(max_length=254, unique=True)),
                        ("display_name", models.CharField(blank=True, max_length=200)),
                        ("description", models.TextField(blank=True)),
                        ("subject_tag", models.CharField(blank=True, help_text="e.g. [Marxism]", max_length=100)),
                        ("is_private", models.BooleanField(default=False)),
                        ("obfuscate_addresses", models.BooleanField(default=True)),
                        ("next_archive_number", models.PositiveIntegerField(default=0)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                    ],
                    options={"ordering": ["name"]},
                ),
            ],
            database_operations=[],
        ),
    ]
