"""The audit of erasures: what `listhaven erase-address` (or a member deleting their account) did,
naming the address only by a keyed hash (lists/erasure.py: address_hash)."""

from django.db import models


class Erasure(models.Model):
    address_hash = models.CharField(max_length=64, db_index=True, help_text="HMAC-SHA-256 of the address")
    scope = models.CharField(max_length=100, blank=True, help_text="the list's short name; empty: every list")
    posts = models.CharField(max_length=9, help_text="what became of the archived posts: keep, anonymise, hide, purge")
    counts = models.JSONField(default=dict, help_text="what was removed, by kind")
    erased_by = models.CharField(max_length=150, blank=True, help_text="cli, the member, or an account name")
    erased_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
