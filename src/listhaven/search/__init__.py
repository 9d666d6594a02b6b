from listhaven.search.backends import backend_for
from listhaven.search.base import Placement, SearchBackend, SearchDocument

__all__ = ["Placement", "SearchBackend", "SearchDocument", "backend_for"]
