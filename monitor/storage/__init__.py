"""The only package that issues SQL. Everything it returns is a plain dataclass."""

from monitor.storage.db import Database, open_database

__all__ = ["Database", "open_database"]
