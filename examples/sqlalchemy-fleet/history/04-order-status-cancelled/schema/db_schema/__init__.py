"""The database schema of the shop application: one such database per client.

`metadata` holds every table; `python3 -m db_schema.create_all` builds it into $DATABASE_URL.
"""
from db_schema.models import Base, metadata

__all__ = ["Base", "metadata"]
