"""The database schema of the shop application: one such database per client.

`metadata` holds every table and view; `python3 -m db_schema.create_all` builds it into $DATABASE_URL.
"""
from db_schema.models import Base, metadata
from db_schema import views  # noqa: F401  (registers the views' DDL on metadata)

__all__ = ["Base", "metadata"]
