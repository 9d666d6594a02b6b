from listhaven.archive.models.import_run import ImportRun
from listhaven.archive.models.mailing_list import MailingList
from listhaven.archive.models.message import Attachment, Message, RawMessage
from listhaven.archive.models.quarantine import Quarantine
from listhaven.archive.models.thread import Thread, ThreadAlias, ThreadRef

__all__ = [
    "Attachment",
    "ImportRun",
    "MailingList",
    "Message",
    "Quarantine",
    "RawMessage",
    "Thread",
    "ThreadAlias",
    "ThreadRef",
]
