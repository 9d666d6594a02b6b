"""The audit of erasures: what `listhaven erase-address` (or a member deleting their account) did,
naming the address only by a keyed hash (lists/erasure.py: address_hash)."""

from django.db import models


class Erasure(models.Model):
    address_hash = models.CharField(max_length=64, db_index=True, help_text="HMAC-SHA-256 of the address")
    scope = models.CharField(max_length=100, blank=True, help_text="the list's short name then; empty: every list")
    # The list by its id, not a foreign key: the audit outlives the list. Its owners' page finds the
    # erasures by it, so a renamed list keeps them and a new list given a deleted one's name does not
    # inherit them (ids are never reused: AUTOINCREMENT on SQLite, a sequence on PostgreSQL).
    list_pk = models.BigIntegerField(null=True, blank=True, db_index=True,
                                     help_text="the list's id (kept when it is renamed or deleted); empty: every list")
    posts = models.CharField(max_length=9, help_text="what became of the archived posts: keep, anonymise, hide, purge")
    counts = models.JSONField(default=dict, help_text="what was removed, by kind")
    erased_by = models.CharField(max_length=150, blank=True, help_text="cli, the member, or an account name")
    erased_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
