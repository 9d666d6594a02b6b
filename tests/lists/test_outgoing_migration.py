"""lists.0015: Outgoing.mailing_list becomes nullable; the rows queued before keep their list and
their batches, and a row without a list can then be stored (SQLite rebuilds the table for this)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("lists", "0014_deliverybatch_awaiting")]
AFTER = [("lists", "0015_outgoing_without_list")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True, available_apps=[app.split(".apps.")[0] for app in settings.INSTALLED_APPS])
def test_queued_rows_keep_their_list_across_the_migration():
    old = _migrate(BEFORE)
    try:
        mlist = old.get_model("lists", "MailingList").objects.create(name="team", address="team@lists.example.org")
        row = old.get_model("lists", "Outgoing").objects.create(mailing_list=mlist, kind="post", template=b"x",
                                                                recipients=["a@example.org"])  # fmt: skip
        old.get_model("lists", "DeliveryBatch").objects.create(outgoing=row, recipients=["a@example.org"],
                                                               next_attempt_at=timezone.now())  # fmt: skip
        new = _migrate(AFTER)
        Outgoing = new.get_model("lists", "Outgoing")
        kept = Outgoing.objects.get(pk=row.pk)
        assert (kept.mailing_list_id, kept.kind, bytes(kept.template), kept.recipients) == (
            mlist.pk, "post", b"x", ["a@example.org"])
        assert new.get_model("lists", "DeliveryBatch").objects.get(outgoing_id=row.pk).recipients == ["a@example.org"]
        site_mail = Outgoing.objects.create(mailing_list=None, kind="notice", template=b"y", recipients=["b@example.org"])
        assert Outgoing.objects.get(pk=site_mail.pk).mailing_list_id is None
        Outgoing.objects.filter(pk=site_mail.pk).delete()
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # the newest state, whatever happened
