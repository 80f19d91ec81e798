"""Builds the schema into the empty database named by DATABASE_URL.

This is the schema source db-migrate builds at two commits and diffs into a migration:

    DATABASE_URL=postgresql://user:password@host:5432/db python3 -m db_schema.create_all
"""
import os
import sys

from sqlalchemy import create_engine

from db_schema import metadata


def main() -> int:
    url = os.environ.get("DATABASE_URL")
    if not url:
        print("create_all: set DATABASE_URL to the empty database to build the schema into", file=sys.stderr)
        return 2
    engine = create_engine(url)
    try:
        # One transaction: a failure leaves the database empty rather than half built.
        with engine.begin() as connection:
            metadata.create_all(connection)
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
