#!/usr/bin/env bash
# Installs everything db-migrate's build, tests and example need on a fresh Debian machine (root or sudo):
# PostgreSQL 15 (server binaries for shadow databases, pg_dump for the test oracle), git,
# the sql-migrate CLI (interoperability tests), PgBouncer (the pooler-detection test), SQLAlchemy for the
# example, Django for its recipe, pnpm and the node modules.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || need_apt+=(postgresql-15)
command -v pg_dump >/dev/null || need_apt+=(postgresql-client-15)
command -v git >/dev/null || need_apt+=(git)
command -v sql-migrate >/dev/null || need_apt+=(sql-migrate)
command -v pgbouncer >/dev/null || need_apt+=(pgbouncer)
/usr/bin/python3 -c 'import sqlalchemy' 2>/dev/null || need_apt+=(python3-sqlalchemy)
/usr/bin/python3 -c 'import psycopg2' 2>/dev/null || need_apt+=(python3-psycopg2)
/usr/bin/python3 -c 'import django' 2>/dev/null || need_apt+=(python3-django)  # the Django recipe's test
/usr/bin/python3 -c 'import alembic' 2>/dev/null || need_apt+=(python3-alembic)  # the Alembic adoption test
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing ${need_apt[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ "$(pnpm --version 2>/dev/null)" != "9.15.9" ]; then
  echo "setup: installing pnpm 9.15.9" >&2
  npm install -g --force --silent pnpm@9.15.9  # --force: replaces a corepack shim if there is one
fi
pnpm install --frozen-lockfile --reporter=silent
