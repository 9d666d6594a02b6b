from listhaven.archive.models.import_run import ImportRun
from listhaven.archive.models.message import (
    VISIBLE,
    Attachment,
    Message,
    MessageQuerySet,
    RawMessage,
    visible_sql,
    visible_through,
)
from listhaven.archive.models.quarantine import Quarantine
from listhaven.archive.models.store_identity import StoreIdentity
from listhaven.archive.models.thread import Thread, ThreadAlias, ThreadRef

__all__ = [
    "VISIBLE",
    "Attachment",
    "ImportRun",
    "Message",
    "MessageQuerySet",
    "Quarantine",
    "RawMessage",
    "StoreIdentity",
    "Thread",
    "ThreadAlias",
    "ThreadRef",
    "visible_sql",
    "visible_through",
]
