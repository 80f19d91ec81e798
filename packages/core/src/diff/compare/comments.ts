import type { Catalog } from '../catalog';
import { type DiffContext, Phase } from '../plan';
import { ident, literal, qualified } from '../sql';
import { functionSignature, routineKeyword } from './functions';
import { inSchema, type NamedObject, onTable, relationObjectKind } from './named';

interface Commentable extends NamedObject {
  /** Key of the object whose survival decides whether the `from` comment is still there. */
  readonly owner: string;
  readonly comment: string | null;
}

const RELATION_WORDS: Record<string, string> = {
  table: 'TABLE',
  'partitioned table': 'TABLE',
  view: 'VIEW',
  'materialized view': 'MATERIALIZED VIEW',
};

/** Everything that can carry a comment, with the COMMENT ON target that names it. */
export function commentables(c: Catalog): Map<string, Commentable> {
  const out = new Map<string, Commentable>();
  const add = (x: NamedObject, comment: string | null, owner = x.key) => out.set(x.key, { ...x, owner, comment });
  for (const s of c.schemas.values())
    add({ key: s.key, target: `SCHEMA ${ident(s.name)}`, kind: 'schema', name: s.name }, s.comment);
  for (const x of c.collations.values()) add(inSchema(x, 'collation', 'COLLATION'), x.comment);
  for (const x of c.enums.values()) add(inSchema(x, 'enum', 'TYPE'), x.comment);
  for (const x of c.compositeTypes.values()) add(inSchema(x, 'composite type', 'TYPE'), x.comment);
  for (const x of c.domains.values()) {
    const domain = inSchema(x, 'domain', 'DOMAIN');
    add(domain, x.comment);
    for (const k of x.constraints) {
      const target = `CONSTRAINT ${ident(k.name)} ON ${domain.target}`;
      add({ ...domain, key: `${x.key}#${k.name}`, target }, k.comment, x.key);
    }
  }
  for (const x of c.sequences.values()) add(inSchema(x, 'sequence', 'SEQUENCE'), x.comment);
  for (const r of c.relations.values()) {
    add(inSchema(r, relationObjectKind(r.kind), RELATION_WORDS[r.kind] ?? 'TABLE'), r.comment);
    for (const col of r.columns) {
      const column: NamedObject = {
        key: col.key,
        target: `COLUMN ${qualified(r.schema, r.name)}.${ident(col.name)}`,
        kind: 'column',
        name: `${r.schema}.${r.name}.${col.name}`,
      };
      add(column, col.comment, r.kind === 'view' || r.kind === 'materialized view' ? r.key : col.key);
    }
  }
  for (const x of c.constraints.values()) add(onTable(x, 'constraint', 'CONSTRAINT'), x.comment);
  for (const x of c.indexes.values()) add(inSchema(x, 'index', 'INDEX'), x.comment);
  for (const x of c.functions.values()) {
    const target = `${routineKeyword(x)} ${functionSignature(x)}`;
    add({ key: x.key, target, kind: x.kind, name: `${x.schema}.${x.name}(${x.identityArguments})` }, x.comment);
  }
  for (const x of c.ranges.values()) add(inSchema(x, 'range type', 'TYPE'), x.comment);
  for (const x of c.statistics.values()) add(inSchema(x, 'statistics', 'STATISTICS'), x.comment);
  for (const x of c.rules.values()) add(onTable(x, 'rule', 'RULE'), x.comment);
  for (const x of c.triggers.values()) add(onTable(x, 'trigger', 'TRIGGER'), x.comment);
  for (const x of c.definedObjects.values())
    add({ key: x.key, target: x.commentTarget, kind: x.kind, name: x.name }, x.comment);
  for (const x of c.extensions.values())
    add({ key: x.key, target: `EXTENSION ${ident(x.name)}`, kind: 'extension', name: x.name }, x.comment);
  for (const x of c.policies.values()) add(onTable(x, 'policy', 'POLICY'), x.comment);
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
      sql: `COMMENT ON ${b.target} IS ${b.comment === null ? 'NULL' : literal(b.comment)}`,
      object: { kind: b.kind, name: b.name },
      action: 'comment',
      phase: Phase.comment,
      needs: [key.split('#')[0]!],
    });
  }
}
