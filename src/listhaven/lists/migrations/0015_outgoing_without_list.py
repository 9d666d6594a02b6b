"""Outgoing.mailing_list may be null: the site's own mail (sign-in links, password resets) belongs to no
list. The rows already queued keep their list."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lists", "0014_deliverybatch_awaiting"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outgoing",
            name="mailing_list",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="outgoing",
                to="lists.mailinglist",
            ),
        ),
    ]
