import type { Catalog } from '../catalog';
import type { Hazard, ObjectKind } from '../types';
import type { DiffContext, NewStatement } from '../plan';
import { ident } from '../sql';
import { relationName } from './tables';

/** What one statement of a kind adds to what the kind gives all (object, action, phase). */
type Part = Pick<NewStatement, 'produces' | 'needs' | 'hazards'>;

/** A setting changed in place by its own ALTER (a trigger's enabled state, a statistics target). */
export interface InPlaceSetting<T> {
  /** The key suffix of the setting: the ALTER produces `<key>#<part>` and needs `<key>`. */
  readonly part: string;
  readonly value: (x: T) => string | number;
  /** Its value on an object just created, before any ALTER. */
  readonly initial: string | number;
  readonly sql: (b: T) => string;
}

/**
 * How one kind of object keyed by identity is compared: an object of `from` missing from `to`, or not
 * `same` as `to`'s, goes (dropped, or dropped and created again); each `to` object that does not survive
 * is created; a setting that differs is altered in place, after the creation by an explicit need.
 */
export interface KeyedKind<T extends { readonly key: string }> {
  readonly kind: ObjectKind;
  readonly objects: (catalog: Catalog) => ReadonlyMap<string, T>;
  /** The name the statements carry (`schema.table.name`). */
  readonly name: (x: T) => string;
  /** Whether `from`'s object stands for `to`'s as it is; without it, only a missing object goes. */
  readonly same?: (a: T, b: T) => boolean;
  readonly drop: { readonly phase: number; readonly sql: (a: T) => string; readonly hazards?: (a: T) => Hazard[] };
  readonly create: {
    readonly phase: number;
    readonly sql: (b: T) => string;
    readonly needs?: (b: T) => string[];
    readonly hazards?: (b: T) => Hazard[];
  };
  readonly setting?: InPlaceSetting<T>;
}

/** Marks the `from` objects that go: missing from `to`, or not `same` as `to`'s. */
export function markChanged<T>(
  ctx: DiffContext,
  from: ReadonlyMap<string, T>,
  to: ReadonlyMap<string, T>,
  same: (a: T, b: T) => boolean = () => true,
): void {
  for (const [key, a] of from) {
    if (ctx.gone(key)) continue;
    const b = to.get(key);
    if (b === undefined || !same(a, b)) ctx.markGone(key);
  }
}

/** One DROP for each `from` object that goes, except those that go with their parent. */
export function emitDrops<T>(
  ctx: DiffContext,
  from: ReadonlyMap<string, T>,
  drop: (a: T, key: string) => NewStatement,
): void {
  for (const [key, a] of from) {
    if (!ctx.gone(key) || ctx.implicitlyDropped.has(key)) continue;
    const statement = drop(a, key);
    ctx.emit({ ...statement, removes: statement.removes ?? [key] });
  }
}

/**
 * Calls `each` for every `to` object with `from`'s object when it survives (undefined when it is created),
 * after emitting `create` for it when it does not.
 */
export function emitCreates<T>(
  ctx: DiffContext,
  from: ReadonlyMap<string, T>,
  to: ReadonlyMap<string, T>,
  create: (b: T, key: string) => NewStatement,
  each?: (b: T, a: T | undefined, key: string) => void,
): void {
  for (const [key, b] of to) {
    const before = from.get(key);
    const a = before !== undefined && !ctx.gone(key) ? before : undefined;
    if (a === undefined) {
      const statement = create(b, key);
      ctx.emit({ ...statement, produces: statement.produces ?? [key] });
    }
    each?.(b, a, key);
  }
}

export function decideKeyed<T extends { readonly key: string }>(ctx: DiffContext, kind: KeyedKind<T>): void {
  markChanged(ctx, kind.objects(ctx.from), kind.objects(ctx.to), kind.same);
}

export function emitKeyed<T extends { readonly key: string }>(ctx: DiffContext, kind: KeyedKind<T>): void {
  const from = kind.objects(ctx.from);
  const statement = (
    x: T,
    action: 'drop' | 'create' | 'alter',
    phase: number,
    sql: string,
    part: Part,
  ): NewStatement => ({ sql, object: { kind: kind.kind, name: kind.name(x) }, action, phase, ...part });
  emitDrops(ctx, from, (a) =>
    statement(a, 'drop', kind.drop.phase, kind.drop.sql(a), { hazards: kind.drop.hazards?.(a) ?? [] }),
  );
  const setting = kind.setting;
  emitCreates(
    ctx,
    from,
    kind.objects(ctx.to),
    (b) =>
      statement(b, 'create', kind.create.phase, kind.create.sql(b), {
        needs: kind.create.needs?.(b) ?? [],
        hazards: kind.create.hazards?.(b) ?? [],
      }),
    (b, a, key) => {
      if (!setting || (a === undefined ? setting.initial : setting.value(a)) === setting.value(b)) return;
      ctx.emit(
        statement(b, 'alter', kind.create.phase, setting.sql(b), {
          produces: [`${key}#${setting.part}`],
          needs: [key],
        }),
      );
    },
  );
}

/** A named object on one table (trigger, rule, policy). */
interface OnTable {
  readonly schema: string;
  readonly table: string;
  readonly name: string;
}

/** `schema.table.name`, the name statements about an object on a table carry. */
export function onTableName(x: OnTable): string {
  return `${x.schema}.${x.table}.${x.name}`;
}

/** `DROP TRIGGER name ON table` and the like. */
export function dropOnTable(word: string): (a: OnTable) => string {
  return (a) => `DROP ${word} ${ident(a.name)} ON ${relationName({ schema: a.schema, name: a.table })}`;
}

/** A trigger or rewrite rule: defined by one statement, switched on and off in place. */
interface TableEvent extends OnTable {
  readonly key: string;
  readonly tableKey: string;
  readonly definition: string;
  readonly enabled: string;
}

/**
 * Triggers and rules compare by their definition (pg_get_triggerdef / pg_get_ruledef): a changed one is
 * dropped and created again; their enabled state (O origin, the default; D disabled; R replica; A always)
 * is set by ALTER TABLE ... ENABLE/DISABLE after the CREATE.
 */
export function tableEventKind<T extends TableEvent>(
  kind: 'trigger' | 'rule',
  objects: (catalog: Catalog) => ReadonlyMap<string, T>,
  phases: { readonly drop: number; readonly create: number },
): KeyedKind<T> {
  const word = kind.toUpperCase();
  return {
    kind,
    objects,
    name: onTableName,
    same: (a, b) => a.definition === b.definition,
    drop: { phase: phases.drop, sql: dropOnTable(word) },
    create: { phase: phases.create, sql: (b) => b.definition, needs: (b) => [b.tableKey] },
    setting: enabledState(word),
  };
}

function enabledState(word: string): InPlaceSetting<TableEvent> {
  const actions: Record<string, string> = {
    O: `ENABLE ${word}`,
    D: `DISABLE ${word}`,
    R: `ENABLE REPLICA ${word}`,
    A: `ENABLE ALWAYS ${word}`,
  };
  return {
    part: 'enabled',
    value: (x) => x.enabled,
    initial: 'O',
    sql: (b) =>
      `ALTER TABLE ${relationName({ schema: b.schema, name: b.table })} ${actions[b.enabled] ?? `ENABLE ${word}`} ${ident(b.name)}`,
  };
}
