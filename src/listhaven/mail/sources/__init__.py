"""Readers that turn an input (mbox, Maildir, Pipermail text archive, stdin) into `SourceMessage`s."""

from listhaven.mail.sources.detect import describe_source, open_source, source_kind
from listhaven.mail.sources.errors import SourceError, SourceInfo

__all__ = ["SourceError", "SourceInfo", "describe_source", "open_source", "source_kind"]
