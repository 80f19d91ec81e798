/**
 * `pnpm bench flow`: how long a person waits for `create` and `verify` of a one-table change on a
 * 10-table SQLAlchemy schema, whole CLI processes at two real git commits, the bundle of `main` (before)
 * and this checkout's (after) in turns, beside what people do without db-migrate: Alembic's
 * `revision --autogenerate` against a throwaway database at the base revision, and an
 * upgrade / downgrade -1 / upgrade round trip on a fresh database (it proves less than verify: no
 * comparison with the models, no rows, no hazards). BENCH_EXAMPLE=1 also runs the whole example
 * (`examples/sqlalchemy-fleet/run.sh`) once with each bundle (a minute or more each).
 *
 * Settings (environment): BENCH_RUNS (default 3), BENCH_BEFORE (a directory holding packages/cli/dist of
 * the bundle to compare with; default: `git archive main packages/cli/dist` into a temporary directory),
 * BENCH_EXAMPLE=1. Needs /usr/bin/python3 with SQLAlchemy, psycopg2 and Alembic (scripts/setup.sh), GNU
 * time, and `pnpm build` first. Every process runs against one throwaway server (`--shadow <url>`, as
 * the example does), whose backends' CPU time is read from the postmaster.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../packages/core/src/logger';
import { connectDatabase } from '../packages/core/src/pg/connect';
import { type LocalServer, startLocalServer } from '../packages/core/src/postgres-server/local-server';
import type { BenchResult, Figure } from './figures';
import { markdownTable, median, runChild } from './support';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ROOT = join(__dirname, '..');
const PYTHON = '/usr/bin/python3';
const TIME = '/usr/bin/time';
const SCHEMA_COMMAND = `${PYTHON} -m db_schema.create_all`;

/** Ten tables: the schema at the base commit. */
const MODELS = `"""Ten tables of a shop, declared with SQLAlchemy."""
from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, Date, DateTime, ForeignKey, Integer, MetaData, Numeric, String, Text, func
from sqlalchemy.orm import declarative_base

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})
Base = declarative_base(metadata=metadata)


class Customer(Base):
    __tablename__ = "customers"
    id = Column(BigInteger, primary_key=True)
    name = Column(String(200), nullable=False)
    email = Column(String(320), nullable=False, unique=True)
    created_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Address(Base):
    __tablename__ = "addresses"
    id = Column(BigInteger, primary_key=True)
    customer_id = Column(BigInteger, ForeignKey("customers.id"), nullable=False, index=True)
    line1 = Column(String(200), nullable=False)
    city = Column(String(100), nullable=False)
    country = Column(String(2), nullable=False)


class Category(Base):
    __tablename__ = "categories"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False, unique=True)


class Product(Base):
    __tablename__ = "products"
    id = Column(BigInteger, primary_key=True)
    category_id = Column(Integer, ForeignKey("categories.id"), nullable=False, index=True)
    sku = Column(String(40), nullable=False, unique=True)
    name = Column(String(200), nullable=False)
    price_cents = Column(Integer, nullable=False)
    __table_args__ = (CheckConstraint("price_cents >= 0", name="price_not_negative"),)


class Warehouse(Base):
    __tablename__ = "warehouses"
    id = Column(Integer, primary_key=True)
    name = Column(String(100), nullable=False)


class Stock(Base):
    __tablename__ = "stock"
    warehouse_id = Column(Integer, ForeignKey("warehouses.id"), primary_key=True)
    product_id = Column(BigInteger, ForeignKey("products.id"), primary_key=True)
    quantity = Column(Integer, nullable=False, server_default="0")


class Order(Base):
    __tablename__ = "orders"
    id = Column(BigInteger, primary_key=True)
    customer_id = Column(BigInteger, ForeignKey("customers.id"), nullable=False, index=True)
    placed_on = Column(Date, nullable=False)
    paid = Column(Boolean, nullable=False, server_default="false")


class OrderLine(Base):
    __tablename__ = "order_lines"
    id = Column(BigInteger, primary_key=True)
    order_id = Column(BigInteger, ForeignKey("orders.id"), nullable=False, index=True)
    product_id = Column(BigInteger, ForeignKey("products.id"), nullable=False)
    quantity = Column(Integer, nullable=False)
    unit_price = Column(Numeric(12, 2), nullable=False)


class Invoice(Base):
    __tablename__ = "invoices"
    id = Column(BigInteger, primary_key=True)
    order_id = Column(BigInteger, ForeignKey("orders.id"), nullable=False, unique=True)
    number = Column(String(30), nullable=False, unique=True)
    issued_at = Column(DateTime(timezone=True), nullable=False, server_default=func.now())


class Review(Base):
    __tablename__ = "reviews"
    id = Column(BigInteger, primary_key=True)
    product_id = Column(BigInteger, ForeignKey("products.id"), nullable=False, index=True)
    customer_id = Column(BigInteger, ForeignKey("customers.id"), nullable=False)
    body = Column(Text)
`;

/** The one-table change: a new table at the goal commit. */
const COUPONS = `

class Coupon(Base):
    __tablename__ = "coupons"
    id = Column(BigInteger, primary_key=True)
    code = Column(String(40), nullable=False, unique=True)
    percent_off = Column(Integer, nullable=False)
    valid_until = Column(Date)
`;

const CREATE_ALL = `import os
from sqlalchemy import create_engine
from db_schema import metadata

engine = create_engine(os.environ["DATABASE_URL"])
with engine.begin() as connection:
    metadata.create_all(connection)
engine.dispose()
`;

const ALEMBIC_INI = `[alembic]
script_location = alembic
[loggers]
keys = root
[handlers]
keys =
[formatters]
keys =
[logger_root]
level = WARN
handlers =
`;

const ALEMBIC_ENV = `import os
from alembic import context
from sqlalchemy import create_engine
from db_schema import metadata

engine = create_engine(os.environ["DATABASE_URL"])
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata)
    with context.begin_transaction():
        context.run_migrations()
`;

const ALEMBIC_MAKO = `"""\${message}"""
from alembic import op
import sqlalchemy as sa
revision = \${repr(up_revision)}
down_revision = \${repr(down_revision)}
branch_labels = None
depends_on = None


def upgrade():
    \${upgrades if upgrades else "pass"}


def downgrade():
    \${downgrades if downgrades else "pass"}
`;

interface Sample {
  wallMs: number;
  /** The process and its children (git, the build command), user + system. */
  cpuMs: number;
  /** The server's backends, user + system. */
  serverMs: number;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, '-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], {
    encoding: 'utf8',
  });
}

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

/** CPU seconds the postmaster's reaped children (the backends) used, in ms. */
function serverCpuMs(server: LocalServer): number {
  const pid = readFileSync(join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]!.trim();
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // Fields 16 and 17 of stat (cutime, cstime) are the 14th and 15th after the command name.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

export async function run(): Promise<BenchResult> {
  for (const need of [TIME, PYTHON])
    if (!existsSync(need)) throw new Error(`${need} is missing: run bash scripts/setup.sh`);
  execFileSync(PYTHON, ['-c', 'import sqlalchemy, psycopg2, alembic']);
  const after = join(ROOT, 'packages/cli/dist/index.js');
  if (!existsSync(after)) throw new Error(`${after} is missing: run pnpm build first`);
  const work = mkdtempSync(join(tmpdir(), 'db-migrate-bench-flow-'));
  let beforeRoot = process.env.BENCH_BEFORE;
  if (!beforeRoot) {
    beforeRoot = join(work, 'before');
    mkdirSync(beforeRoot);
    execFileSync('sh', ['-c', `git -C "${ROOT}" archive main packages/cli/dist | tar -x -C "${beforeRoot}"`]);
  }
  const before = join(beforeRoot, 'packages/cli/dist/index.js');
  const server = await startLocalServer({ logger: silentLogger });
  try {
    const admin = await connectDatabase(server.adminUrl);
    const url = (db: string) => server.adminUrl.replace(/\/postgres(\?|$)/, `/${db}$1`);
    let databases = 0;
    const freshDatabase = async () => {
      const name = `bench_alembic_${++databases}`;
      await admin.query(`CREATE DATABASE ${name}`);
      return url(name);
    };

    // The schema repository: the base commit with its migration, then the one-table change (goal).
    const repo = join(work, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q', '-b', 'main');
    write(join(repo, 'schema/db_schema/__init__.py'), 'from db_schema.models import Base, metadata\n');
    write(join(repo, 'schema/db_schema/models.py'), MODELS);
    write(join(repo, 'schema/db_schema/create_all.py'), CREATE_ALL);
    write(join(repo, 'schema/alembic.ini'), ALEMBIC_INI);
    write(join(repo, 'schema/alembic/env.py'), ALEMBIC_ENV);
    write(join(repo, 'schema/alembic/script.py.mako'), ALEMBIC_MAKO);
    mkdirSync(join(repo, 'schema/alembic/versions'));
    mkdirSync(join(repo, 'migrations'));
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'Ten tables');
    const cli = (bundle: string, command: string, extra: string[] = []) => [
      bundle,
      command,
      '--schema-dir',
      'schema',
      '--schema-command',
      SCHEMA_COMMAND,
      '--dir',
      'migrations',
      '--shadow',
      server.adminUrl,
      ...extra,
    ];
    const mustRun = async (command: string, args: string[], cwd: string, env: Record<string, string> = {}) => {
      const result = await runChild('sh', ['-c', `cd "$0" && exec "$@"`, cwd, command, ...args], env, 600_000);
      if (result.code !== 0)
        throw new Error(
          `${command} ${args.slice(0, 2).join(' ')} failed (${result.code}): ${result.stderr.slice(-600)}`,
        );
      return result;
    };
    await mustRun(process.execPath, cli(after, 'create'), repo);
    const alembicBase = await freshDatabase();
    const schemaDir = join(repo, 'schema');
    await mustRun(PYTHON, ['-m', 'alembic', 'revision', '--autogenerate', '-m', 'ten tables'], schemaDir, {
      DATABASE_URL: alembicBase,
    });
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'Migration 1 (db-migrate and Alembic)');
    writeFileSync(join(repo, 'schema/db_schema/models.py'), MODELS + COUPONS);
    git(repo, 'commit', '-q', '-am', 'Coupons');
    // The pull request verify checks: create's migration 2 committed on a branch (a clone of its own, so
    // that create's runs start from the goal commit without it).
    const pr = join(work, 'pr');
    execFileSync('git', ['clone', '-q', repo, pr]);
    await mustRun(process.execPath, cli(after, 'create'), pr);
    await mustRun(PYTHON, ['-m', 'alembic', 'revision', '--autogenerate', '-m', 'coupons'], join(pr, 'schema'), {
      DATABASE_URL: await upgraded(alembicBase),
    });
    git(pr, 'checkout', '-q', '-b', 'coupons');
    git(pr, 'add', '.');
    git(pr, 'commit', '-q', '-m', 'Migration 2 (db-migrate and Alembic)');

    async function upgraded(db: string): Promise<string> {
      await mustRun(PYTHON, ['-m', 'alembic', 'upgrade', 'head'], schemaDir, { DATABASE_URL: db });
      return db;
    }

    /** One whole process (or shell line) under GNU time, with the server's CPU over the same span. */
    const timed = async (command: string, args: string[], cwd: string): Promise<Sample> => {
      const serverBefore = serverCpuMs(server);
      const result = await runChild(
        TIME,
        ['-f', 'TIME %e %U %S', 'sh', '-c', `cd "$0" && exec "$@"`, cwd, command, ...args],
        {},
        600_000,
      );
      const match = /TIME ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr);
      if (result.code !== 0 || !match)
        throw new Error(
          `${command} ${args.slice(0, 2).join(' ')} failed (${result.code}): ${result.stderr.slice(-800)}`,
        );
      return {
        wallMs: Number(match[1]) * 1000,
        cpuMs: (Number(match[2]) + Number(match[3])) * 1000,
        serverMs: serverCpuMs(server) - serverBefore,
      };
    };
    const resetCreate = () => git(repo, 'clean', '-q', '-fdx', 'migrations');
    const alembicCreate = async (): Promise<Sample> => {
      // What a person runs instead of create: a throwaway database at the base revision, then autogenerate.
      const db = await freshDatabase();
      const python = `${PYTHON} -m alembic`;
      const line = `${python} upgrade head && ${python} revision --autogenerate -m coupons_again >/dev/null && rm -f alembic/versions/*coupons_again*`;
      return timed('sh', ['-c', `DATABASE_URL="$0" sh -c "$1"`, db, line], schemaDir);
    };
    const alembicRoundTrip = async (): Promise<Sample> => {
      const db = await freshDatabase();
      const python = `${PYTHON} -m alembic`;
      const line = `${python} upgrade head && ${python} downgrade -1 && ${python} upgrade head`;
      return timed('sh', ['-c', `DATABASE_URL="$0" sh -c "$1"`, db, line], join(pr, 'schema'));
    };

    const cases: { name: string; run: () => Promise<Sample> }[] = [
      { name: 'create, before', run: () => timed(process.execPath, cli(before, 'create'), repo) },
      { name: 'create, after', run: () => timed(process.execPath, cli(after, 'create'), repo) },
      { name: 'alembic upgrade head + revision --autogenerate', run: alembicCreate },
      {
        name: 'verify, before',
        run: () => timed(process.execPath, cli(before, 'verify', ['--base-ref', 'origin/main']), pr),
      },
      {
        name: 'verify, after',
        run: () => timed(process.execPath, cli(after, 'verify', ['--base-ref', 'origin/main']), pr),
      },
      { name: 'alembic upgrade, downgrade -1, upgrade', run: alembicRoundTrip },
    ];
    const samples = cases.map(() => [] as Sample[]);
    const load = [loadavg()[0]!];
    for (let i = 0; i < RUNS; i++) {
      // In turns, so that a busy moment of the machine falls on every case alike.
      for (const [index, c] of cases.entries()) {
        resetCreate();
        samples[index]!.push(await c.run());
      }
    }
    resetCreate();
    load.push(loadavg()[0]!);
    const med = (index: number, key: keyof Sample) => median(samples[index]!.map((s) => s[key]));
    const seconds = (ms: number) => (ms / 1000).toFixed(1);
    const rows = cases.map((c, i) => [
      c.name,
      seconds(med(i, 'wallMs')),
      `${seconds(Math.min(...samples[i]!.map((s) => s.wallMs)))}-${seconds(Math.max(...samples[i]!.map((s) => s.wallMs)))}`,
      seconds(med(i, 'cpuMs')),
      seconds(med(i, 'serverMs')),
    ]);
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    const figures: Figure[] = [
      {
        name: 'create of a one-table change: before / after (wall)',
        measured: `${ratio(med(0, 'wallMs'), med(1, 'wallMs'))} (${seconds(med(1, 'wallMs'))} s)`,
        target: '-',
      },
      {
        name: 'create: after / Alembic autogenerate on a throwaway database (wall)',
        measured: ratio(med(1, 'wallMs'), med(2, 'wallMs')),
        target: '-',
      },
      {
        name: 'verify of that change: before / after (wall)',
        measured: `${ratio(med(3, 'wallMs'), med(4, 'wallMs'))} (${seconds(med(4, 'wallMs'))} s)`,
        target: '-',
      },
      {
        name: 'verify: after / Alembic upgrade-downgrade-upgrade (wall)',
        measured: ratio(med(4, 'wallMs'), med(5, 'wallMs')),
        target: '-',
      },
    ];
    const text = [
      `${RUNS} runs each in turns, medians (ranges of wall time); a 10-table SQLAlchemy schema, one new table; ` +
        `load average ${load.map((l) => l.toFixed(1)).join(' -> ')} (1 min, start -> end) on ${cpus().length} cores`,
      `before: ${before}; after: ${after}; CPU: the process and its children (git, Python), user + system; ` +
        'server: the PostgreSQL backends it used',
      '',
      markdownTable(['process', 'wall (s)', 'range (s)', 'CPU (s)', 'server CPU (s)'], rows),
    ];
    if (process.env.BENCH_EXAMPLE === '1') {
      const example = await runExample(before, after);
      text.push('', example.text);
      figures.push(...example.figures);
    }
    await admin.end();
    return { text: text.join('\n'), figures };
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The whole example once with each bundle (its own server each time), after then before. */
async function runExample(before: string, after: string): Promise<BenchResult> {
  const seconds: Record<string, number> = {};
  const load = [loadavg()[0]!];
  for (const [name, bundle] of [
    ['after', after],
    ['before', before],
  ] as const) {
    const result = await runChild(
      TIME,
      ['-f', 'TIME %e %U %S', 'bash', join(ROOT, 'examples/sqlalchemy-fleet/run.sh')],
      { DB_MIGRATE_CLI: `${process.execPath} ${bundle}` },
      1_800_000,
    );
    const match = /TIME ([\d.]+) ([\d.]+) ([\d.]+)\s*$/.exec(result.stderr);
    if (result.code !== 0 || !match)
      throw new Error(`the example with ${name}'s bundle failed (${result.code}): ${result.stderr.slice(-800)}`);
    seconds[name] = Number(match[1]);
  }
  load.push(loadavg()[0]!);
  return {
    text:
      `The whole example (examples/sqlalchemy-fleet/run.sh), once each: before ${seconds.before!.toFixed(0)} s, ` +
      `after ${seconds.after!.toFixed(0)} s; load average ${load.map((l) => l.toFixed(1)).join(' -> ')}`,
    figures: [
      {
        name: 'the example: before / after (wall)',
        measured: `${(seconds.before! / seconds.after!).toFixed(2)}x (${seconds.after!.toFixed(0)} s)`,
        target: '-',
      },
    ],
  };
}

if (require.main === module) {
  run().then(
    (result) => process.stdout.write(result.text + '\n'),
    (error: unknown) => {
      process.stderr.write(`bench flow: ${(error as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
