import type { Catalog } from '../catalog';
import { type DiffContext, Phase } from '../plan';
import { ident, literal } from '../sql';
import type { ObjectKind } from '../types';
import { functionSignature, routineKeyword } from './functions';

interface Commentable {
  readonly key: string;
  /** Key of the object whose survival decides whether the `from` comment is still there. */
  readonly owner: string;
  /** The COMMENT ON target, made only for the few objects whose comment changes. */
  readonly target: () => string;
  readonly kind: ObjectKind;
  readonly name: () => string;
  readonly comment: string | null;
}

const RELATION_WORDS: Record<string, string> = {
  table: 'TABLE',
  'partitioned table': 'TABLE',
  view: 'VIEW',
  'materialized view': 'MATERIALIZED VIEW',
};

function q(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

/** Everything that can carry a comment, with the COMMENT ON target that names it. */
export function commentables(c: Catalog): Map<string, Commentable> {
  const out = new Map<string, Commentable>();
  const add = (x: Commentable) => out.set(x.key, x);
  for (const s of c.schemas.values())
    add({
      key: s.key,
      owner: s.key,
      target: () => `SCHEMA ${ident(s.name)}`,
      kind: 'schema',
      name: () => s.name,
      comment: s.comment,
    });
  for (const x of c.collations.values())
    add({
      key: x.key,
      owner: x.key,
      target: () => `COLLATION ${q(x.schema, x.name)}`,
      kind: 'collation',
      name: () => `${x.schema}.${x.name}`,
      comment: x.comment,
    });
  for (const x of c.enums.values())
    add({
      key: x.key,
      owner: x.key,
      target: () => `TYPE ${q(x.schema, x.name)}`,
      kind: 'enum',
      name: () => `${x.schema}.${x.name}`,
      comment: x.comment,
    });
  for (const x of c.compositeTypes.values())
    add({
      key: x.key,
      owner: x.key,
      target: () => `TYPE ${q(x.schema, x.name)}`,
      kind: 'composite type',
      name: () => `${x.schema}.${x.name}`,
      comment: x.comment,
    });
  for (const x of c.domains.values()) {
    add({
      key: x.key,
      owner: x.key,
      target: () => `DOMAIN ${q(x.schema, x.name)}`,
      kind: 'domain',
      name: () => `${x.schema}.${x.name}`,
      comment: x.comment,
    });
    for (const k of x.constraints) {
      add({
        key: `${x.key}#${k.name}`,
        owner: x.key,
        target: () => `CONSTRAINT ${ident(k.name)} ON DOMAIN ${q(x.schema, x.name)}`,
        kind: 'domain',
        name: () => `${x.schema}.${x.name}`,
        comment: k.comment,
      });
    }
  }
  for (const x of c.sequences.values())
    add({
      key: x.key,
      owner: x.key,
      target: () => `SEQUENCE ${q(x.schema, x.name)}`,
      kind: 'sequence',
      name: () => `${x.schema}.${x.name}`,
      comment: x.comment,
    });
  for (const r of c.relations.values()) {
    const kind: ObjectKind =
      r.kind === 'view' ? 'view' : r.kind === 'materialized view' ? 'materialized view' : 'table';
    add({
      key: r.key,
      owner: r.key,
      target: () => `${RELATION_WORDS[r.kind] ?? 'TABLE'} ${q(r.schema, r.name)}`,
      kind,
      name: () => `${r.schema}.${r.name}`,
      comment: r.comment,
    });
    for (const col of r.columns) {
      add({
        key: col.key,
        owner: r.kind === 'view' || r.kind === 'materialized view' ? r.key : col.key,
        target: () => `COLUMN ${q(r.schema, r.name)}.${ident(col.name)}`,
        kind: 'column',
        name: () => `${r.schema}.${r.name}.${col.name}`,
        comment: col.comment,
      });
    }
  }
  for (const x of c.constraints.values())
    add({
      key: x.key,
      owner: x.key,
      target: () => `CONSTRAINT ${ident(x.name)} ON ${q(x.schema, x.table)}`,
      kind: 'constraint',
      name: () => `${x.schema}.${x.table}.${x.name}`,
      comment: x.comment,
    });
  for (const x of c.indexes.values())
    add({
      key: x.key,
      owner: x.key,
      target: () => `INDEX ${q(x.schema, x.name)}`,
      kind: 'index',
      name: () => `${x.schema}.${x.name}`,
      comment: x.comment,
    });
  for (const x of c.functions.values())
    add({
      key: x.key,
      owner: x.key,
      target: () => `${routineKeyword(x)} ${functionSignature(x)}`,
      kind: x.kind,
      name: () => `${x.schema}.${x.name}(${x.identityArguments})`,
      comment: x.comment,
    });
  for (const x of c.ranges.values())
    add({
      key: x.key,
      owner: x.key,
      target: () => `TYPE ${q(x.schema, x.name)}`,
      kind: 'range type',
      name: () => `${x.schema}.${x.name}`,
      comment: x.comment,
    });
  for (const x of c.statistics.values())
    add({
      key: x.key,
      owner: x.key,
      target: () => `STATISTICS ${q(x.schema, x.name)}`,
      kind: 'statistics',
      name: () => `${x.schema}.${x.name}`,
      comment: x.comment,
    });
  for (const x of c.rules.values())
    add({
      key: x.key,
      owner: x.key,
      target: () => `RULE ${ident(x.name)} ON ${q(x.schema, x.table)}`,
      kind: 'rule',
      name: () => `${x.schema}.${x.table}.${x.name}`,
      comment: x.comment,
    });
  for (const x of c.triggers.values())
    add({
      key: x.key,
      owner: x.key,
      target: () => `TRIGGER ${ident(x.name)} ON ${q(x.schema, x.table)}`,
      kind: 'trigger',
      name: () => `${x.schema}.${x.table}.${x.name}`,
      comment: x.comment,
    });
  for (const x of c.definedObjects.values())
    add({
      key: x.key,
      owner: x.key,
      target: () => x.commentTarget,
      kind: x.kind,
      name: () => x.name,
      comment: x.comment,
    });
  for (const x of c.extensions.values())
    add({
      key: x.key,
      owner: x.key,
      target: () => `EXTENSION ${ident(x.name)}`,
      kind: 'extension',
      name: () => x.name,
      comment: x.comment,
    });
  for (const x of c.policies.values())
    add({
      key: x.key,
      owner: x.key,
      target: () => `POLICY ${ident(x.name)} ON ${q(x.schema, x.table)}`,
      kind: 'policy',
      name: () => `${x.schema}.${x.table}.${x.name}`,
      comment: x.comment,
    });
  return out;
}

/** COMMENT ON for every object whose comment differs, including objects created or recreated here. */
export function emitComments(ctx: DiffContext): void {
  const before = commentables(ctx.from);
  const after = commentables(ctx.to);
  for (const [key, b] of after) {
    const a = before.get(key);
    const previous = a && !ctx.gone(a.owner) && !ctx.gone(key) ? a.comment : null;
    if (previous === b.comment) continue;
    ctx.emit({
      sql: `COMMENT ON ${b.target()} IS ${b.comment === null ? 'NULL' : literal(b.comment)}`,
      object: { kind: b.kind, name: b.name() },
      action: 'comment',
      phase: Phase.comment,
      needs: [key.split('#')[0]!],
    });
  }
}
