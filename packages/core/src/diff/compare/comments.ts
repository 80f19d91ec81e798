import type { Catalog } from '../catalog';
import { type DiffContext, Phase } from '../plan';
import { ident, literal, qualified } from '../sql';
import { functionSignature, routineKeyword } from './functions';
import { inSchema, type NamedObject, onTable, relationObjectKind } from './named';

interface Commentable {
  /** Key of the object whose survival decides whether the `from` comment is still there. */
  readonly owner: string;
  readonly comment: string | null;
  /** The COMMENT ON target and the object's name, made only for a comment that changes. */
  readonly named: () => NamedObject;
}

const RELATION_WORDS: Record<string, string> = {
  table: 'TABLE',
  'partitioned table': 'TABLE',
  view: 'VIEW',
  'materialized view': 'MATERIALIZED VIEW',
};

/**
 * Everything that can carry a comment, by key, with how to name it in COMMENT ON; with `keep`, only the
 * objects it keeps (a 400-table catalog has thousands of columns, indexes and constraints, few commented).
 */
export function commentables(
  c: Catalog,
  keep?: (key: string, comment: string | null) => boolean,
): Map<string, Commentable> {
  const out = new Map<string, Commentable>();
  const add = (key: string, comment: string | null, named: () => NamedObject, owner = key) => {
    if (!keep || keep(key, comment)) out.set(key, { owner, comment, named });
  };
  for (const s of c.schemas.values())
    add(s.key, s.comment, () => ({ key: s.key, target: `SCHEMA ${ident(s.name)}`, kind: 'schema', name: s.name }));
  for (const x of c.collations.values()) add(x.key, x.comment, () => inSchema(x, 'collation', 'COLLATION'));
  for (const x of c.enums.values()) add(x.key, x.comment, () => inSchema(x, 'enum', 'TYPE'));
  for (const x of c.compositeTypes.values()) add(x.key, x.comment, () => inSchema(x, 'composite type', 'TYPE'));
  for (const x of c.domains.values()) {
    const domain = () => inSchema(x, 'domain', 'DOMAIN');
    add(x.key, x.comment, domain);
    for (const k of x.constraints) {
      const key = `${x.key}#${k.name}`;
      const target = () => `CONSTRAINT ${ident(k.name)} ON ${domain().target}`;
      add(key, k.comment, () => ({ ...domain(), key, target: target() }), x.key);
    }
  }
  for (const x of c.sequences.values()) add(x.key, x.comment, () => inSchema(x, 'sequence', 'SEQUENCE'));
  for (const r of c.relations.values()) {
    add(r.key, r.comment, () => inSchema(r, relationObjectKind(r.kind), RELATION_WORDS[r.kind] ?? 'TABLE'));
    const owner = r.kind === 'view' || r.kind === 'materialized view' ? r.key : undefined;
    for (const col of r.columns) {
      const column = (): NamedObject => ({
        key: col.key,
        target: `COLUMN ${qualified(r.schema, r.name)}.${ident(col.name)}`,
        kind: 'column',
        name: `${r.schema}.${r.name}.${col.name}`,
      });
      add(col.key, col.comment, column, owner ?? col.key);
    }
  }
  for (const x of c.constraints.values()) add(x.key, x.comment, () => onTable(x, 'constraint', 'CONSTRAINT'));
  for (const x of c.indexes.values()) add(x.key, x.comment, () => inSchema(x, 'index', 'INDEX'));
  for (const x of c.functions.values()) {
    const target = () => `${routineKeyword(x)} ${functionSignature(x)}`;
    add(x.key, x.comment, () => ({
      key: x.key,
      target: target(),
      kind: x.kind,
      name: `${x.schema}.${x.name}(${x.identityArguments})`,
    }));
  }
  for (const x of c.ranges.values()) add(x.key, x.comment, () => inSchema(x, 'range type', 'TYPE'));
  for (const x of c.statistics.values()) add(x.key, x.comment, () => inSchema(x, 'statistics', 'STATISTICS'));
  for (const x of c.rules.values()) add(x.key, x.comment, () => onTable(x, 'rule', 'RULE'));
  for (const x of c.triggers.values()) add(x.key, x.comment, () => onTable(x, 'trigger', 'TRIGGER'));
  for (const x of c.definedObjects.values())
    add(x.key, x.comment, () => ({ key: x.key, target: x.commentTarget, kind: x.kind, name: x.name }));
  for (const x of c.extensions.values())
    add(x.key, x.comment, () => ({
      key: x.key,
      target: `EXTENSION ${ident(x.name)}`,
      kind: 'extension',
      name: x.name,
    }));
  for (const x of c.policies.values()) add(x.key, x.comment, () => onTable(x, 'policy', 'POLICY'));
  return out;
}

/** COMMENT ON for every object whose comment differs, including objects created or recreated here. */
export function emitComments(ctx: DiffContext): void {
  // An object without a comment on either side has nothing to say: only the commented ones are named.
  const before = commentables(ctx.from, (_key, comment) => comment !== null);
  const after = commentables(ctx.to, (key, comment) => comment !== null || before.has(key));
  for (const [key, b] of after) {
    const a = before.get(key);
    const previous = a && !ctx.gone(a.owner) && !ctx.gone(key) ? a.comment : null;
    if (previous === b.comment) continue;
    const named = b.named();
    ctx.emit({
      sql: `COMMENT ON ${named.target} IS ${b.comment === null ? 'NULL' : literal(b.comment)}`,
      object: { kind: named.kind, name: named.name },
      action: 'comment',
      phase: Phase.comment,
      needs: [key.split('#')[0]!],
    });
  }
}
