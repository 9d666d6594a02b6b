"""Path converters: malformed values never reach a view (they simply do not match: 404)."""


class ListName:
    regex = r"[a-z0-9][a-z0-9_.-]{0,99}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class Month:
    """YYYY-MM; the view checks the month is 01..12."""

    regex = r"[0-9]{4}-[0-9]{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class PublicId:
    """Base32 message/thread hashes (with a possible two-digit suffix)."""

    regex = r"[A-Z2-7]{32}(?:[0-9]{2})?|[A-Z2-7]{30}[0-9]{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
