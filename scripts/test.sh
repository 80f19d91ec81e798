#!/usr/bin/env bash
# The test command: set-up, type check, rebuild the bundles and fail if a committed one is stale,
# then the whole jest suite against a real PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm typecheck
bash scripts/check-dist.sh
pnpm test "$@"
