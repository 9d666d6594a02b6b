"""The service addresses of a list: the suffixes of the local part that routing.resolve takes, each
with its role (IncomingMail.role), and the roles that carry a +detail. Postfix's tables
(postfix_maps.py) are written from the same table, so they name exactly the addresses the LMTP
server takes.

-subscribe and -unsubscribe are Mailman's other names for -join and -leave (Mailman 3 routes them so and
writes them into Postfix's tables; Mailman 2 had them as aliases): moved lists keep them. The first
suffix of a role is its own (routing.service_address).
"""

from __future__ import annotations

SERVICE_SUFFIXES = {"-owner": "owner", "-bounces": "bounces", "-request": "request", "-join": "join",
                    "-leave": "leave", "-confirm": "confirm", "-unsubscribe": "leave",
                    "-subscribe": "join"}  # fmt: skip
WITH_DETAIL = frozenset({"bounces", "confirm"})
