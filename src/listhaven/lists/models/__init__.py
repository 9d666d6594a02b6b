from listhaven.lists.models.digests import DigestEntry, DigestIssueSent
from listhaven.lists.models.erasure import Erasure
from listhaven.lists.models.mailing_list import MailingList
from listhaven.lists.models.member import Ban, Member
from listhaven.lists.models.pending import Pending, RequestDecision
from listhaven.lists.models.posts import HeldMessage, IncomingMail, PostRecord
from listhaven.lists.models.queue import BounceEvent, DeliveryBatch, DkimKey, Outgoing

__all__ = ["Ban", "BounceEvent", "DeliveryBatch", "DigestEntry", "DigestIssueSent", "DkimKey", "Erasure", "HeldMessage",
           "IncomingMail", "MailingList", "Member", "Outgoing", "Pending", "PostRecord", "RequestDecision"]  # fmt: skip
