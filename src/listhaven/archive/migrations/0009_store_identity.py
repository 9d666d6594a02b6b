"""Records the domain of the Message-IDs this store derives for messages that have none.

Stores made before this migration derived them in ``synthetic.listhaven.invalid``; one that holds such ids keeps
that domain, so a re-import still finds those messages as duplicates and no public link changes. A store
without any (every new store) uses the default, ``derived.listhaven.invalid``.
"""

from django.db import migrations, models

LEGACY_DOMAIN = "synthetic.listhaven.invalid"
DEFAULT_DOMAIN = "derived.listhaven.invalid"


def record_domain(apps, schema_editor):
    db = schema_editor.connection.alias  # the database being migrated (`migrate --database`), not always the default
    messages = apps.get_model("archive", "Message").objects.using(db)
    holds_legacy = messages.filter(message_id_synthetic=True, message_id__endswith="@" + LEGACY_DOMAIN).exists()
    identity = apps.get_model("archive", "StoreIdentity").objects.using(db)
    identity.create(pk=1, derived_id_domain=LEGACY_DOMAIN if holds_legacy else DEFAULT_DOMAIN)


class Migration(migrations.Migration):
    dependencies = [
        ("archive", "0008_message_purged_at"),
    ]

    operations = [
        migrations.CreateModel(
            name="StoreIdentity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("derived_id_domain", models.CharField(default="derived.listhaven.invalid", max_length=255)),
            ],
        ),
        migrations.RunPython(record_domain, migrations.RunPython.noop),
    ]
