"""Filters of the logging configuration (settings.LOGGING)."""

from __future__ import annotations

import logging


class WithoutTraceback(logging.Filter):
    """Keeps a record's message and drops its traceback. A request for a Host the site does not answer
    to (Django's DisallowedHost, answered 400) is a client's mistake or a scanner's probe: one line
    each, naming the host, not a stack of Django's frames."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True
