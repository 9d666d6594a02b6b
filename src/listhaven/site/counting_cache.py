"""The cache the rate limits count in (django-ratelimit, settings.CACHES["ratelimit"]): Django's database
cache, shared by every web, LMTP and worker process of the site, whose `incr` is made safe for counting.

Django's own `incr` on the database cache is a `get` and then a `set`:

- the `set` gives the row the cache's default timeout (5 minutes), so a count of a one-hour or one-day
  window (SUBSCRIBE_RATE_ADDRESS 3/h, AUTORESPONSE_RATE 10/d) started again from 1 five minutes after its
  second count: a mail-bomber waiting out five minutes had the limit again;
- two processes counting the same key at once could both read the same value and both write it plus
  one: a count lost (two processes counting 300 times each on PostgreSQL counted 366 and 368 of 600;
  tests/site/test_counting_cache.py).

Here `incr` is one transaction that takes the row first (``SELECT ... FOR UPDATE`` on PostgreSQL; on
SQLite the transaction holds the database's one write lock from its start, BEGIN IMMEDIATE), then writes
the new value and leaves the row's expiry alone. Inside a caller's transaction the row stays taken until
that transaction ends, so a count made there and rolled back is undone, and another process counting the
same key waits for it instead of counting beside it.
"""

from __future__ import annotations

import base64
import pickle
from typing import Any

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils.timezone import now as tz_now


class CountingDatabaseCache(DatabaseCache):
    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        key = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        table = connection.ops.quote_name(self._table)
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        now = connection.ops.adapt_datetimefield_value(tz_now().replace(microsecond=0))
        with transaction.atomic(using=db), connection.cursor() as cursor:
            cursor.execute(f"SELECT value FROM {table} WHERE cache_key = %s AND expires >= %s{lock}", [key, now])
            row = cursor.fetchone()
            if row is None:
                raise ValueError(f"Key '{key}' not found")
            # The value is one this class or Django's cache wrote (a pickled int), as Django's `get` reads it.
            value = pickle.loads(base64.b64decode(connection.ops.process_clob(row[0]).encode())) + delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET value = %s WHERE cache_key = %s", [encoded, key])
        return value
