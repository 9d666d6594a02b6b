from listhaven.search.backends import backend_for
from listhaven.search.base import SearchBackend, SearchDocument

__all__ = ["SearchBackend", "SearchDocument", "backend_for"]
