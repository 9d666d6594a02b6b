"""The sender's journal (delivery/batches.py, `Journal`): the record of the copy handed over last, kept in
a file mapped into the worker's memory, which a worker taking over the batch of a dead worker of this
host reads back (`recover`, inside `claim`). The kill -9 test (test_worker_kill.py) exercises it end to
end; these check its reading on its own, against a real file and database."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from listhaven.delivery.batches import Journal, claim, journal_path, read_journal, worker_name
from listhaven.lists.directory import create_list
from listhaven.lists.models import DeliveryBatch
from listhaven.lists.queue import enqueue

MEMBERS = [f"member{n}@example.net" for n in range(5)]


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    return tmp_path


def dead_worker() -> str:
    """The name a worker process of this host had, now gone."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return worker_name(pid=process.pid)


def batch_of(worker: str, done: int) -> DeliveryBatch:
    mlist = create_list("team@lists.example.org")
    enqueue(mlist, b"Subject: hi\r\n\r\nhi\r\n", MEMBERS, kind="post", personalised=False)
    batch = DeliveryBatch.objects.get()
    DeliveryBatch.objects.filter(pk=batch.pk).update(claimed_by=worker, lease_until=timezone.now() + timedelta(minutes=5),
                                                     done=done, sent=done)  # fmt: skip
    return batch


def left_behind(journal: Journal) -> None:
    """What a killed worker leaves: the mapping gone with the process, the file kept."""
    journal.words.release()
    journal.map.close()


def test_the_record_is_in_the_file_at_once_and_the_next_worker_counts_it(transactional_db, data_dir):
    worker = dead_worker()
    batch = batch_of(worker, done=2)
    journal = Journal(worker)
    assert read_journal(journal.path.read_bytes()) is None  # nothing handed over yet
    journal.write(batch.pk, 3, 3)
    assert read_journal(journal.path.read_bytes()) == (batch.pk, 3, 3)  # no flush: the page cache has it
    journal.write(batch.pk, 4, 3)
    assert read_journal(journal.path.read_bytes()) == (batch.pk, 4, 3)
    left_behind(journal)
    [taken] = claim("localhost:1:feedf00d")
    assert (taken.pk, taken.done, taken.sent) == (batch.pk, 4, 3)
    assert (DeliveryBatch.objects.get().done, DeliveryBatch.objects.get().sent) == (4, 3)
    assert not journal_path(worker).exists()


def test_an_emptied_journal_or_one_of_another_batch_leaves_the_database_count(transactional_db, data_dir):
    worker = dead_worker()
    batch = batch_of(worker, done=2)
    journal = Journal(worker)
    journal.write(batch.pk + 1, 4, 4)  # another batch, finished since
    journal.empty()
    assert read_journal(journal.path.read_bytes()) is None
    journal.write(batch.pk + 1, 1, 1)
    left_behind(journal)
    [taken] = claim("localhost:1:feedf00d")
    assert taken.done == 2


def test_a_count_beyond_the_batch_is_not_believed(transactional_db, data_dir):
    worker = dead_worker()
    batch = batch_of(worker, done=2)
    journal = Journal(worker)
    journal.write(batch.pk, len(MEMBERS) + 1, 1)
    left_behind(journal)
    [taken] = claim("localhost:1:feedf00d")
    assert taken.done == 2


def test_the_lines_of_an_earlier_version_are_read(transactional_db, data_dir):
    worker = dead_worker()
    batch = batch_of(worker, done=2)
    path = journal_path(worker)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%d 2 2\n%d 3 3\n" % (batch.pk, batch.pk))
    [taken] = claim("localhost:1:feedf00d")
    assert taken.done == 3 and not path.exists()


def test_a_claim_that_does_not_commit_leaves_the_journal_to_the_next(transactional_db, data_dir):
    worker = dead_worker()
    batch = batch_of(worker, done=2)
    journal = Journal(worker)
    journal.write(batch.pk, 3, 3)
    left_behind(journal)
    with pytest.raises(RuntimeError), transaction.atomic():
        [taken] = claim("localhost:1:feedf00d")
        assert taken.done == 3
        raise RuntimeError("the claiming worker dies before its commit")
    assert DeliveryBatch.objects.get().done == 2 and journal_path(worker).exists()
    [taken] = claim("localhost:1:feedf00d")
    assert taken.done == 3 and DeliveryBatch.objects.get().done == 3
    assert not journal_path(worker).exists()


def test_the_refusals_of_the_recorded_transaction_are_taken_over_and_older_ones_ignored(transactional_db, data_dir):
    """A bulk transaction with refused recipients: their answers are written beside the record; the next
    worker defers the 4xx ones and bounces the 5xx ones of the record it takes over, and only those."""
    from listhaven.lists.models import BounceEvent

    worker = dead_worker()
    batch = batch_of(worker, done=0)
    journal = Journal(worker)
    journal.write(batch.pk, 2, 1, [(MEMBERS[1], 550, "5.1.1 no such user")])  # finished since (older)
    journal.write(batch.pk, 4, 1, [(MEMBERS[2], 450, "4.2.1 busy"), (MEMBERS[3], 550, "5.1.1 unknown")])
    left_behind(journal)
    DeliveryBatch.objects.filter(pk=batch.pk).update(done=2, sent=1, deferred=[])  # the first one committed
    [taken] = claim("localhost:1:feedf00d")
    assert (taken.done, taken.sent, taken.deferred) == (4, 1, [MEMBERS[2]])
    assert DeliveryBatch.objects.get().deferred == [MEMBERS[2]]
    assert list(BounceEvent.objects.values_list("address", "code", "text")) == [(MEMBERS[3], 550, "5.1.1 unknown")]
    assert not journal.refused_path.exists()


def test_refusals_of_another_record_are_not_read(transactional_db, data_dir):
    """Written, but the process was killed before the record's store: the journal still holds the record
    before, and the refusals (of a transaction whose dot never went) are not taken."""
    from listhaven.delivery.batches import read_refusals

    worker = dead_worker()
    batch = batch_of(worker, done=1)
    journal = Journal(worker)
    journal.write(batch.pk, 1, 1)
    journal._write_refusals(batch.pk, 4, 2, [(MEMBERS[2], 450, "busy")])  # the store that would follow: not made
    left_behind(journal)
    assert read_refusals(journal.refused_path.read_bytes(), (batch.pk, 4, 2)) == [(MEMBERS[2], 450, "busy")]
    [taken] = claim("localhost:1:feedf00d")
    assert (taken.done, taken.sent, taken.deferred) == (1, 1, [])
