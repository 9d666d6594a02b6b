from django.db import models

from listhaven.mail.ids import DEFAULT_DERIVED_ID_DOMAIN


class StoreIdentity(models.Model):
    """What a store fixed once and keeps for life (one row, pk 1).

    `derived_id_domain` is the domain of the Message-ID given to a message that has none. The id is stored,
    the ingest finds duplicates by it, and the public hash in the message's link is made from it: a store
    that changed it would keep an id-less message twice on a re-import and break its link. The migration
    that made this table chose the domain from the ids the store already held (see 0009).
    """

    derived_id_domain = models.CharField(max_length=255, default=DEFAULT_DERIVED_ID_DOMAIN)

    @classmethod
    def current_derived_id_domain(cls) -> str:
        """The store's domain; the default for a store without the row (emptied by a test's flush)."""
        found = cls.objects.filter(pk=1).values_list("derived_id_domain", flat=True).first()
        return found or DEFAULT_DERIVED_ID_DOMAIN
