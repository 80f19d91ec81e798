/** How statements and messages name an object: the one place comments and privileges take it from. */
import type { RelationKind } from '../catalog';
import { ident, qualified } from '../sql';
import type { ObjectKind } from '../types';

/** An object as COMMENT ON and GRANT name it (`target`), and as messages do (`kind`, `name`). */
export interface NamedObject {
  readonly key: string;
  readonly target: string;
  readonly kind: ObjectKind;
  readonly name: string;
}

/** An object in a schema: `COLLATION "s"."n"`, named `s.n`. */
export function inSchema(
  x: { readonly key: string; readonly schema: string; readonly name: string },
  kind: ObjectKind,
  word: string,
): NamedObject {
  return { key: x.key, target: `${word} ${qualified(x.schema, x.name)}`, kind, name: `${x.schema}.${x.name}` };
}

/** An object of a table (constraint, rule, trigger, policy): `TRIGGER "n" ON "s"."t"`, named `s.t.n`. */
export function onTable(
  x: { readonly key: string; readonly schema: string; readonly table: string; readonly name: string },
  kind: ObjectKind,
  word: string,
): NamedObject {
  return {
    key: x.key,
    target: `${word} ${ident(x.name)} ON ${qualified(x.schema, x.table)}`,
    kind,
    name: `${x.schema}.${x.table}.${x.name}`,
  };
}

/** The kind messages give a relation: partitioned and foreign tables are tables. */
export function relationObjectKind(kind: RelationKind): ObjectKind {
  return kind === 'view' || kind === 'materialized view' ? kind : 'table';
}
