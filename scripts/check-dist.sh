#!/usr/bin/env bash
# Rebuilds every bundle and fails when a committed one differs from the fresh build (a stale dist/).
set -euo pipefail
cd "$(dirname "$0")/.."
bundles=(actions/create/dist actions/verify/dist actions/apply/dist packages/cli/dist)
rm -rf "${bundles[@]}"
pnpm --silent build
if [ -n "$(git status --porcelain -- "${bundles[@]}")" ]; then
  echo "check-dist: a committed bundle is stale; run 'pnpm build' and commit dist/:" >&2
  git status --short -- "${bundles[@]}" >&2
  git --no-pager diff --stat -- "${bundles[@]}" >&2
  exit 1
fi
echo "check-dist: bundles are fresh" >&2
