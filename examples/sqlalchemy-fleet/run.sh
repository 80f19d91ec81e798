#!/usr/bin/env bash
# The whole db-migrate flow on this machine, with the CLI, in a few minutes (45-51 s on a quiet 2-core machine, 175-286 s on a busy one):
#   1. a schema repository whose SQLAlchemy models change commit by commit (history/, replay-history.sh);
#      after each commit `db-migrate create` writes the next migration (or a few, for the non-blocking
#      forms of docs/online.md), `db-migrate verify` checks them on their pull-request branch, and the
#      branch is merged;
#   2. a fleet of client databases at different versions, one of them changed by hand (drift);
#   3. `db-migrate apply` to the fleet: a dry run, the real run (the drifted database is postponed,
#      untouched), and the nightly drift report;
#   4. a revert of the last release on one database (`apply --to`);
#   5. a staging database synced to a feature branch of the schema (`db-migrate sync`);
#   then a summary. Everything runs on a throwaway PostgreSQL server started here, removed at exit.
#
# Run from the repository root after `bash scripts/setup.sh`:   pnpm --silent example
# With --verbose (pnpm --silent example --verbose): how long each command and each of its steps took
# (db-migrate --verbose), then the time by command.
#
# Settings (environment):
#   DB_MIGRATE_EXAMPLE_SERVER_URL  superuser URL of an existing server to use instead of starting one
#   DB_MIGRATE_EXAMPLE_PREFIX      prefix of the databases made on it (default: example)
#   DB_MIGRATE_EXAMPLE_WORKDIR     where the schema repository and logs go (default: a temporary directory)
#   DB_MIGRATE_EXAMPLE_KEEP=1      keep the work directory and the databases at exit
#   DB_MIGRATE_CLI                 the command that runs the CLI (default: node packages/cli/dist/index.js)
#   PYTHON                         the Python with SQLAlchemy and psycopg2 (default: /usr/bin/python3)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"
SCHEMA_COMMAND="$PYTHON -m db_schema.create_all"
prefix="${DB_MIGRATE_EXAMPLE_PREFIX:-example}"
keep="${DB_MIGRATE_EXAMPLE_KEEP:-}"
started=$SECONDS
verbose=''
for arg in "$@"; do
  case "$arg" in
    --verbose) verbose=1 ;;
    *) printf 'example: unknown argument %s (only --verbose)\n' "$arg" >&2; exit 2 ;;
  esac
done

# --- output -------------------------------------------------------------------------------------------
if [ -t 1 ]; then bold=$'\e[1m'; dim=$'\e[2m'; plain=$'\e[0m'; else bold=''; dim=''; plain=''; fi
heading() { printf '\n%s== %s ==%s\n' "$bold" "$1" "$plain"; }
say() { printf '%s\n' "$*"; }
indent() { sed 's/^/    /'; }
fail() { printf 'example: %s\n' "$*" >&2; exit 1; }

# The CLI as users run it: the bundle `pnpm build` makes (`pnpm --silent db-migrate` runs the same file).
# DB_MIGRATE_CLI replaces it, e.g. with the TypeScript sources while working on them:
#   DB_MIGRATE_CLI="node -r $PWD/scripts/register-ts.js $PWD/packages/cli/src/index.ts"
read -r -a cli <<<"${DB_MIGRATE_CLI:-node $root/packages/cli/dist/index.js}"
db-migrate() { "${cli[@]}" "$@" ${verbose:+--verbose}; }
now_ms() { date +%s%3N; }

# run TEMPLATE: shows the command as written, with the names of the variables it uses (never the URLs
# they hold: they carry passwords), runs it, and shows its output indented. Returns its exit code.
# run_quietly TEMPLATE: the same, but keeps the output in $out (stdout) and $out.err (progress) for the
# caller to show a part of.
out=''
run_count=0
run_quietly() {
  local template="$1" status=0
  printf '\n  %s$ %s%s\n' "$dim" "$template" "$plain"
  out="$logs/$(printf '%03d' $((++run_count))).log"
  local begun
  begun="$(now_ms)"
  eval "$template" >"$out" 2>"$out.err" || status=$?
  local took=$(($(now_ms) - begun))
  printf '%s\t%s\n' "$took" "$template" >>"$logs/timings.tsv"
  if [ -n "$verbose" ]; then
    # Each step db-migrate timed (debug lines), then the whole command.
    sed -n 's/^debug: \(.* took [0-9]* ms\)$/\1/p' "$out.err" | indent | indent
    printf '    %s(%s ms)%s\n' "$dim" "$took" "$plain"
  fi
  return "$status"
}
run() {
  local status=0
  run_quietly "$1" || status=$?
  cat "$out.err" "$out" | indent
  return "$status"
}

# --- prerequisites ------------------------------------------------------------------------------------
command -v node >/dev/null || fail 'node is not installed: run bash scripts/setup.sh'
command -v git >/dev/null || fail 'git is not installed: run bash scripts/setup.sh'
command -v psql >/dev/null || fail 'psql is not installed: run bash scripts/setup.sh'
[ -n "${DB_MIGRATE_CLI:-}" ] || [ -f "$root/packages/cli/dist/index.js" ] || fail 'packages/cli/dist/index.js is missing: run pnpm build'
"$PYTHON" -c 'import sqlalchemy, psycopg2' 2>/dev/null ||
  fail "$PYTHON cannot import sqlalchemy and psycopg2: run bash scripts/setup.sh (or set PYTHON)"

# --- work directory, server, cleanup ------------------------------------------------------------------
work="${DB_MIGRATE_EXAMPLE_WORKDIR:-}"
[ -n "$work" ] || work="$(mktemp -d "${TMPDIR:-/tmp}/db-migrate-example.XXXXXX")"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
logs="$work/logs"
repo="$work/schema-repo"
rm -rf "$logs" "$repo"
mkdir -p "$logs"

server_pid=''
databases=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$server_pid" ]; then
    # The helper stops the server and removes its data directory when signalled.
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  elif [ -z "$keep" ] && [ -n "${SERVER_URL:-}" ]; then
    for name in "${databases[@]}"; do
      psql -X -q "$SERVER_URL" -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null 2>&1 || true
    done
  fi
  if [ -z "$keep" ]; then
    rm -rf "$work"
  elif [ -n "$server_pid" ]; then
    printf '\nkept: %s (the databases went with the throwaway server)\n' "$work"
  else
    printf '\nkept: %s and the databases %s\n' "$work" "${databases[*]}"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SERVER_URL="${DB_MIGRATE_EXAMPLE_SERVER_URL:-}"
if [ -z "$SERVER_URL" ]; then
  url_file="$work/server-url"
  rm -f "$url_file"
  node -r "$root/scripts/register-ts.js" "$here/scripts/local-postgres.ts" "$url_file" >"$logs/server.log" 2>&1 &
  server_pid=$!
fi
# The server starts while the schema repository is set up; the first command that needs it waits here.
wait_for_server() {
  [ -z "$SERVER_URL" ] || return 0
  for _ in $(seq 1 600); do
    [ -s "$url_file" ] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$logs/server.log" >&2; server_pid=''; fail 'the local PostgreSQL server did not start'; }
    sleep 0.1
  done
  [ -s "$url_file" ] || fail 'the local PostgreSQL server did not start within 60 s'
  SERVER_URL="$(cat "$url_file")"
  # Shadow databases for schema builds are created (and dropped) on the same server.
  SHADOW="$SERVER_URL"
}
SHADOW="$SERVER_URL"

# A database on the server, by name: the server URL with another path.
database_url() { printf '%s/%s' "${SERVER_URL%/*}" "$1"; }
# Makes an empty database <prefix>_<name> (recorded for cleanup first) and exports <NAME>_DATABASE_URL.
new_database() {
  local name="${prefix}_$1" var
  var="$(printf '%s_DATABASE_URL' "$1" | tr '[:lower:]' '[:upper:]')"
  databases+=("$name")
  sql "$SERVER_URL" -c "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" -c "CREATE DATABASE \"$name\"" >/dev/null
  export "$var=$(database_url "$name")"
}
# psql for the script's own queries; its notices ("does not exist, skipping") are noise here.
sql() { PGOPTIONS='--client-min-messages=warning' psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# Commits in the schema repository by people and by the migration bot (no git identity needed).
git_as() {
  local name="$1" email="$2"
  shift 2
  git -C "$repo" -c user.name="$name" -c user.email="$email" -c commit.gpgsign=false "$@"
}
bot() { git_as 'github-actions[bot]' '41898283+github-actions[bot]@users.noreply.github.com' "$@"; }

say "${bold}db-migrate: the whole flow on one machine${plain}"
say "work directory: $work"
if [ -n "$server_pid" ]; then say 'PostgreSQL: a throwaway server started for this run'; else say 'PostgreSQL: the server of DB_MIGRATE_EXAMPLE_SERVER_URL'; fi

# --- 1. history -> migrations ---------------------------------------------------------------------------
heading '1. The schema changes commit by commit; create writes each migration, verify checks it'
say 'The schema repository holds a SQLAlchemy package (schema/db_schema) and the migrations (migrations/).'
say "Its build command, run by db-migrate at any commit into an empty database: $SCHEMA_COMMAND"
mkdir -p "$repo"
git -C "$repo" init -q -b main
mkdir -p "$repo/migrations"
cd "$repo"

created=0
step_versions=()  # the latest version after each schema commit
verified=0
edited=0
for step_dir in "$here"/history/[0-9][0-9]-*/; do
  step="$(basename "$step_dir")"
  "$here/replay-history.sh" "$repo" "$step" >/dev/null
  printf '\n%s-- commit %s: %s%s\n' "$bold" "$(git rev-parse --short HEAD)" "$(git log -1 --format=%s)" "$plain"

  # What the create action does on a push to main, shown briefly: the report's first lines and the
  # start of each new file's Up section (the whole files are in migrations/). One schema commit can make
  # several files: a concurrent index build goes in a notransaction file of its own, a constraint is added
  # NOT VALID and validated in the next file (docs/online.md).
  before="$(ls migrations | grep -c '\.sql$' || true)"
  wait_for_server
  run_quietly 'db-migrate create --schema-dir schema --schema-command "$SCHEMA_COMMAND" --dir migrations --shadow "$SHADOW"' ||
    { cat "$out.err" "$out" >&2; fail "create failed at $step"; }
  sed -n '1,/^$/p' "$out" | sed '/^$/d' | indent
  new_files=()
  while IFS= read -r name; do new_files+=("migrations/$name"); done < <(ls migrations | grep '\.sql$' | sort | tail -n +$((before + 1)))
  [ "${#new_files[@]}" -ge 1 ] || fail "create wrote no migration at $step"
  for file in "${new_files[@]}"; do
    printf '      %s\n' "$(basename "$file")"
    awk '/^-- \+migrate Up/{on=1} /^-- \+migrate Down/{on=0} on && NF' "$file" >"$out.up"
    head -n 10 "$out.up" | indent | indent
    [ "$(wc -l <"$out.up")" -le 10 ] || printf '        ... (%s lines in all)\n' "$(wc -l <"$out.up" | tr -d ' ')"
  done
  created=$((created + 1))

  # ... its pull request, checked by the verify action, then merged.
  file="${new_files[${#new_files[@]}-1]}"
  version="$(basename "$file" | sed 's/_.*//')"
  step_versions+=("$((10#$version))")
  git switch -q -c db-migrate/next-migration
  git add migrations
  bot commit -q -m "Migration $version: $(basename "$file" .sql | sed 's/^[0-9]*_//')"
  index_file="$(grep -l '^CREATE INDEX CONCURRENTLY ' "${new_files[@]}" | head -n 1 || true)"
  if [ -n "$index_file" ]; then
    # A reviewer edits the generated migration on its branch, as the pull request invites: create already
    # builds the index CONCURRENTLY in a notransaction file; the reviewer gives that build more memory
    # (a session setting, so the schema is the same). verify below checks the edited file still builds
    # exactly the schema.
    say ''
    say '  A reviewer edits it by hand: more memory for the concurrent index build (same schema).'
    sed -i "0,/^CREATE INDEX CONCURRENTLY /s//SET maintenance_work_mem = '256MB';\n&/" "$index_file"
    git diff --unified=0 -- "$index_file" | sed '1,/^@@/d' | grep -v '^@@' | indent
    git_as 'Rita Reviewer' 'rita@example.com' commit -q -am 'More memory for the orders index build'
    edited=$((edited + 1))
  fi
  run_quietly 'db-migrate verify --schema-dir schema --schema-command "$SCHEMA_COMMAND" --dir migrations --base-ref main --shadow "$SHADOW"' ||
    { cat "$out.err" "$out" >&2; fail "verify failed at $step"; }
  grep -E '^(Numbering|Consistency|Reversibility|Data|Hazards|verify )' "$out" | indent
  verified=$((verified + 1))
  git switch -q main
  git merge -q --ff-only db-migrate/next-migration
  git branch -q -d db-migrate/next-migration
done
# A migration verify must refuse: a NOT NULL column without a database default passes on empty databases
# and fails on every client database with customers. verify's data check runs it on rows and says so.
say ''
say "${bold}-- a feature branch adds customers.loyalty_tier NOT NULL, without a default${plain}"
git switch -q -c feature/loyalty-tier
"$here/replay-history.sh" "$repo" branch-loyalty-tier | sed 's/^/    commit on feature\/loyalty-tier: /'
run_quietly 'db-migrate create --schema-dir schema --schema-command "$SCHEMA_COMMAND" --dir migrations --shadow "$SHADOW"' ||
  { cat "$out.err" "$out" >&2; fail 'create failed on feature/loyalty-tier'; }
git add migrations
bot commit -q -m 'Migration: loyalty tier'
status=0
run_quietly 'db-migrate verify --schema-dir schema --schema-command "$SCHEMA_COMMAND" --dir migrations --base-ref main --shadow "$SHADOW"' || status=$?
[ "$status" = 1 ] || { cat "$out.err" "$out" >&2; fail "verify should refuse the loyalty tier migration on rows (exit $status)"; }
grep -E '^(Data|  error: .*contains null values|verify )' "$out" | sed 's/ on [^ ]*: statement/: statement/' | indent
say '  The pull request cannot merge: a DEFAULT, or a nullable column backfilled before SET NOT NULL, fixes it.'
git switch -q main
git branch -q -D feature/loyalty-tier
latest="$(ls migrations/*.sql | wc -l | tr -d ' ')"
say ''
say "migrations/ now holds $latest migrations (sql-migrate format) with their metadata:"
ls migrations | indent

# --- 2. the fleet -----------------------------------------------------------------------------------------
heading '2. A fleet of client databases, at different versions'
cp "$here/db-targets.yml" "$repo/db-targets.yml"
say 'db-targets.yml names each database and the environment variable holding its URL (a secret in CI):'
indent <db-targets.yml
fleet=(acme globex initech umbrella hooli staging)
for name in "${fleet[@]}"; do new_database "$name"; done

say ''
say 'acme is a new client (empty); the others were migrated before, up to different versions:'
# Versions by schema commit: globex is at commit 03's, initech at 05's, umbrella at 07's.
v3="${step_versions[2]}" v5="${step_versions[4]}" v7="${step_versions[6]}"
run "db-migrate up --dir migrations --database \"\$GLOBEX_DATABASE_URL\" --to $v3"
run "db-migrate up --dir migrations --database \"\$INITECH_DATABASE_URL\" --to $v5"
run "db-migrate up --dir migrations --database \"\$UMBRELLA_DATABASE_URL\" --to $v7"
run 'db-migrate up --dir migrations --database "$HOOLI_DATABASE_URL"'
run 'db-migrate up --dir migrations --database "$STAGING_DATABASE_URL"'
for url in "$GLOBEX_DATABASE_URL" "$INITECH_DATABASE_URL" "$UMBRELLA_DATABASE_URL" "$HOOLI_DATABASE_URL"; do
  sql "$url" -c "INSERT INTO customers (name, email) VALUES ('Ada', 'ada@example.com'), ('Grace', 'grace@example.com');
                 INSERT INTO products (sku, name, price_cents) VALUES ('BOOK-1', 'A book', 1500);
                 INSERT INTO orders (customer_id, product_id) SELECT id, (SELECT min(id) FROM products) FROM customers;" >/dev/null
done
say ''
say 'Each of them already has customers and orders. During an incident, someone added an index to umbrella'
say "by hand: its schema is no longer what its version ($v7) says."
run 'psql "$UMBRELLA_DATABASE_URL" -c "CREATE INDEX customers_lower_email ON customers (lower(email))"'
run 'db-migrate status --dir migrations --database "$GLOBEX_DATABASE_URL"'

# --- 3. apply ---------------------------------------------------------------------------------------------
heading '3. Apply to the fleet'
say 'First the dry run (the default of the manual workflow): each database'"'"'s plan, nothing changed.'
status=0
run 'db-migrate apply --dir migrations --targets db-targets.yml --group prod --shadow "$SHADOW" --dry-run' || status=$?
[ "$status" -le 1 ] || fail "apply --dry-run exited with $status"
say ''
say 'Then the real run: each database is locked, checked against the schema its version implies, and'
say 'migrated one migration per transaction (a notransaction one statement by statement); a drifted'
say 'database is postponed and not touched.'
status=0
run 'db-migrate apply --dir migrations --targets db-targets.yml --group prod --shadow "$SHADOW" --json apply-report.json' || status=$?
cp apply-report.json "$work/apply-report.json"
# Exit code 1 here means "something needs a look" (the postponed database); a database failed, or refused
# by its pre-checks (docs/prechecks.md), is an error here.
failed="$(node -e 'const r = require(process.argv[1]); console.log(r.counts.failed + (r.counts.refused ?? 0))' "$repo/apply-report.json")"
[ "$failed" = 0 ] && [ "$status" -le 1 ] || fail "apply failed or was refused on $failed database(s) (exit $status)"
say ''
say 'The nightly drift report shows what changed on umbrella, as SQL:'
status=0
run 'db-migrate drift --dir migrations --targets db-targets.yml --group prod --shadow "$SHADOW"' || status=$?
[ "$status" -le 1 ] || fail "drift exited with $status"

# --- 4. revert --------------------------------------------------------------------------------------------
heading '4. Revert the last release on one database'
say "globex reports a problem with the last release: take it back to version $v7 through the Down section."
run "db-migrate apply --dir migrations --database globex=\"\$GLOBEX_DATABASE_URL\" --to $v7 --shadow \"\$SHADOW\" --json revert-report.json"
cp revert-report.json "$work/revert-report.json"
run 'db-migrate status --dir migrations --database "$GLOBEX_DATABASE_URL"'

# --- 5. sync staging ------------------------------------------------------------------------------------
heading '5. Sync the staging database to a feature branch'
say 'A feature branch adds coupons; staging gets it before any migration exists (sync is unversioned).'
git switch -q -c feature/coupons
"$here/replay-history.sh" "$repo" branch-coupons | sed 's/^/    commit on feature\/coupons: /'
git switch -q main
run 'db-migrate sync --targets db-targets.yml --group staging --schema-dir schema --schema-command "$SCHEMA_COMMAND" --ref feature/coupons --shadow "$SHADOW" --dry-run'
run 'db-migrate sync --targets db-targets.yml --group staging --schema-dir schema --schema-command "$SCHEMA_COMMAND" --ref feature/coupons --shadow "$SHADOW" --json sync-report.json'
cp sync-report.json "$work/sync-report.json"

# --- summary ----------------------------------------------------------------------------------------------
heading 'Summary'
say "schema commits: $created, migrations created from them: $latest, each commit's pull request verified: $verified/$created (edited by hand: $edited)"
say ''
printf '  %-10s %-9s %-8s %s\n' DATABASE VERSION ORDERS 'WHAT HAPPENED'
# What happened to each database of the apply, from the two reports (one node process for all of them).
declare -A happened=()
while IFS=$'\t' read -r name what; do happened[$name]="$what"; done < <(node -e '
  const [file, revertFile] = process.argv.slice(1);
  const reverted = require(revertFile).targets;
  for (const t of require(file).targets) {
    const r = reverted.find((x) => x.name === t.name);
    let s = t.status === "applied" ? `applied ${t.fromVersion} -> ${t.toVersion}` : t.status === "postponed" ? `postponed, not touched: drifted (undo: ${t.drift ? t.drift.changes.join("; ") : "?"})` : t.status;
    if (r) s += `; reverted ${r.fromVersion} -> ${r.toVersion}`;
    console.log(`${t.name}\t${s}`);
  }' "$work/apply-report.json" "$work/revert-report.json")
for name in "${fleet[@]}"; do
  var="$(printf '%s_DATABASE_URL' "$name" | tr '[:lower:]' '[:upper:]')"
  url="${!var}"
  version="$(sql "$url" -c "SELECT coalesce(max(substring(id from '^[0-9]+')::int), 0) FROM gorp_migrations")"
  orders="$(sql "$url" -c 'SELECT count(*) FROM orders')"
  case "$name" in
    staging)
      what="synced to feature/coupons: coupons table $(sql "$url" -c "SELECT CASE WHEN to_regclass('coupons') IS NULL THEN 'missing' ELSE 'present' END")" ;;
    *) what="${happened[$name]:-?}" ;;
  esac
  printf '  %-10s %-9s %-8s %s\n' "$name" "$version" "$orders" "$what"
done
say ''
if [ -n "$verbose" ]; then
  say ''
  say 'Time by command (commands run, seconds in all):'
  awk -F'\t' '{ split($2, w, " "); k = (w[1] == "db-migrate" ? w[1] " " w[2] : w[1]); n[k]++; t[k] += $1 }
    END { for (k in n) printf "  %7.1f s  %3d  %s\n", t[k] / 1000, n[k], k }' "$logs/timings.tsv" | sort -rn
fi
say "done in $((SECONDS - started)) s. The workflows that do the same in CI: examples/sqlalchemy-fleet/workflows/"
