"""What the list server tells the layers above it (which it may not import), for them to act on."""

from django.dispatch import Signal

# Sent inside lists.erasure.erase_address's transaction once the lists' own rows are done, for what the
# layers above `lists` keep that names the address (the web's history of list settings). Keyword
# arguments: `address` (canonical), `lists` (a queryset of the lists erased from), `site` (True: the
# whole site) and `report`, the ErasureReport a receiver adds its counts to.
address_erased = Signal()
