"""Erasure.list_pk: the audit names the list by its id too, so a renamed list's owners still see its
erasures and a new list given a deleted one's name does not. Existing rows take the id of the list
that bears their name now (the best that can be told of them; a row whose list is gone stays empty)."""

from django.db import migrations, models


def _fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Erasure = apps.get_model("lists", "Erasure")
    MailingList = apps.get_model("lists", "MailingList")
    ids = dict(MailingList.objects.values_list("name", "id"))
    for scope in Erasure.objects.exclude(scope="").values_list("scope", flat=True).distinct():
        if scope in ids:
            Erasure.objects.filter(scope=scope).update(list_pk=ids[scope])


class Migration(migrations.Migration):

    dependencies = [
        ('lists', '0021_filter_action_forward_preserve'),
    ]

    operations = [
        migrations.AddField(
            model_name='erasure',
            name='list_pk',
            field=models.BigIntegerField(blank=True, db_index=True, help_text="the list's id (kept when it is renamed or deleted); empty: every list", null=True),
        ),
        migrations.AlterField(
            model_name='erasure',
            name='scope',
            field=models.CharField(blank=True, help_text="the list's short name then; empty: every list", max_length=100),
        ),
        migrations.RunPython(_fill, migrations.RunPython.noop),
    ]
