#!/usr/bin/env bash
# Replays the example schema's history as commits into a git repository: the "schema repository" a team
# would have. We cannot keep a git repository inside ours, so each commit is a folder under history/:
# history/NN-<slug>/schema/ is the whole schema package as it was after that commit, and
# history/NN-<slug>/COMMIT_MSG its message. Replaying a step replaces the repository's schema/ with the
# step's copy and commits it, so each commit's diff is exactly that step's change.
#
#   replay-history.sh REPO_DIR              every numbered step (01-..., 02-...), in order
#   replay-history.sh REPO_DIR 03 04        only these steps (a number or a folder name, e.g. branch-coupons)
#
# REPO_DIR is created (git init, branch main) when it is not a repository yet; steps are committed on its
# current branch. Prints one line per commit: the sha and the subject.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

if [ $# -lt 1 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
  sed -n '2,/^set /p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
  exit 2
fi
repo="$1"
shift

# A step given as "03" or "3" means the folder 03-*; anything else must be a folder name.
resolve_step() {
  local arg="$1" match
  if [[ "$arg" =~ ^[0-9]+$ ]]; then
    match=("$here"/history/"$(printf '%02d' "$((10#$arg))")"-*)
    [ -d "${match[0]}" ] && { basename "${match[0]}"; return; }
  elif [ -d "$here/history/$arg" ]; then
    echo "$arg"
    return
  fi
  echo "replay-history: no step \"$arg\" in $here/history" >&2
  exit 2
}

steps=()
if [ $# -eq 0 ]; then
  for dir in "$here"/history/[0-9][0-9]-*/; do steps+=("$(basename "$dir")"); done
else
  for arg in "$@"; do
    step="$(resolve_step "$arg")" || exit 2
    steps+=("$step")
  done
fi

mkdir -p "$repo"
if ! git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
  git -C "$repo" init -q -b main
  printf '__pycache__/\n' > "$repo/.gitignore"
  git -C "$repo" add .gitignore
fi

# The schema's author; fixed here so that a fresh machine without a git identity can replay too.
commit() {
  git -C "$repo" -c user.name='Dana Developer' -c user.email='dana@example.com' -c commit.gpgsign=false "$@"
}

for step in "${steps[@]}"; do
  rm -rf "$repo/schema"
  cp -R "$here/history/$step/schema" "$repo/schema"
  find "$repo/schema" -name __pycache__ -type d -prune -exec rm -rf {} +
  git -C "$repo" add -A schema
  commit commit -q -F "$here/history/$step/COMMIT_MSG"
  git -C "$repo" log -1 --format='%h %s'
done
