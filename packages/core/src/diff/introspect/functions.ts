import { parseAcl } from '../acl';
import type { FunctionInfo } from '../catalog';
import { ident, literal } from '../sql';
import type { ObjectKeys } from './keys';
import { type Columns, query } from './query';
import { notExtensionMember, USER_NAMESPACE } from './scope';

/** What the functions and the aggregates queries both return. */
interface RoutineRow {
  readonly oid: number;
  readonly schema: string;
  readonly name: string;
  readonly identity_arguments: string;
  readonly arguments: string;
  readonly result: string | null;
  readonly acl: string[];
  readonly default_acl: string[];
}

const ROUTINE_COLUMNS: Columns<RoutineRow> = {
  oid: 'int',
  schema: 'text',
  name: 'text',
  identity_arguments: 'text',
  arguments: 'text',
  result: 'text | null',
  acl: 'text[]',
  default_acl: 'text[]',
};

/** A function, procedure or window function (aggregates have their own query). */
export interface FunctionRow extends RoutineRow {
  readonly prokind: 'f' | 'p' | 'w';
  readonly definition: string;
  readonly language: string;
  readonly body: string | null;
}

/** An aggregate: pg_aggregate's columns, with function and type names printed qualified. */
export interface AggregateRow extends RoutineRow {
  readonly parallel: string;
  readonly kind: string;
  readonly sfunc: string;
  readonly stype: string;
  readonly sspace: number;
  readonly finalfunc: string | null;
  readonly finalextra: boolean;
  readonly finalmodify: string;
  readonly combinefunc: string | null;
  readonly serialfunc: string | null;
  readonly deserialfunc: string | null;
  readonly initcond: string | null;
  readonly msfunc: string | null;
  readonly minvfunc: string | null;
  readonly mstype: string | null;
  readonly msspace: number;
  readonly mfinalfunc: string | null;
  readonly mfinalextra: boolean;
  readonly mfinalmodify: string;
  readonly minitcond: string | null;
  readonly sortop: string | null;
}

export const FUNCTIONS = query<FunctionRow>(
  `SELECT p.oid::int, n.nspname AS schema, p.proname AS name, p.prokind,
      pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity_arguments,
      pg_catalog.pg_get_function_arguments(p.oid) AS arguments,
      pg_catalog.pg_get_function_result(p.oid) AS result,
      pg_catalog.pg_get_functiondef(p.oid) AS definition, l.lanname AS language, p.prosrc AS body,
      COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))::text[] AS acl,
      pg_catalog.acldefault('f', p.proowner)::text[] AS default_acl
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    JOIN pg_catalog.pg_language l ON l.oid = p.prolang
    WHERE p.prokind IN ('f', 'p', 'w') AND ${USER_NAMESPACE} AND ${notExtensionMember('pg_proc', 'p.oid')}
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend i
        WHERE i.classid = 'pg_proc'::regclass AND i.objid = p.oid AND i.deptype = 'i')
    ORDER BY n.nspname, p.proname, identity_arguments`,
  {
    ...ROUTINE_COLUMNS,
    prokind: 'text',
    definition: 'text',
    language: 'text',
    body: 'text | null',
  },
);

export const AGGREGATES = query<AggregateRow>(
  `SELECT p.oid::int, n.nspname AS schema, p.proname AS name,
      pg_catalog.pg_get_function_identity_arguments(p.oid) AS identity_arguments,
      pg_catalog.pg_get_function_arguments(p.oid) AS arguments,
      pg_catalog.pg_get_function_result(p.oid) AS result, p.proparallel AS parallel, a.aggkind AS kind,
      a.aggtransfn::regproc::text AS sfunc, pg_catalog.format_type(a.aggtranstype, NULL) AS stype, a.aggtransspace AS sspace,
      NULLIF(a.aggfinalfn, 0)::regproc::text AS finalfunc, a.aggfinalextra AS finalextra, a.aggfinalmodify AS finalmodify,
      NULLIF(a.aggcombinefn, 0)::regproc::text AS combinefunc, NULLIF(a.aggserialfn, 0)::regproc::text AS serialfunc,
      NULLIF(a.aggdeserialfn, 0)::regproc::text AS deserialfunc, a.agginitval AS initcond,
      NULLIF(a.aggmtransfn, 0)::regproc::text AS msfunc, NULLIF(a.aggminvtransfn, 0)::regproc::text AS minvfunc,
      CASE WHEN a.aggmtranstype <> 0 THEN pg_catalog.format_type(a.aggmtranstype, NULL) END AS mstype,
      a.aggmtransspace AS msspace, NULLIF(a.aggmfinalfn, 0)::regproc::text AS mfinalfunc, a.aggmfinalextra AS mfinalextra,
      a.aggmfinalmodify AS mfinalmodify, a.aggminitval AS minitcond,
      CASE WHEN a.aggsortop <> 0 THEN 'OPERATOR(' || pg_catalog.quote_ident(opn.nspname) || '.' || op.oprname || ')' END AS sortop,
      COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))::text[] AS acl,
      pg_catalog.acldefault('f', p.proowner)::text[] AS default_acl
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    LEFT JOIN pg_catalog.pg_operator op ON op.oid = a.aggsortop
    LEFT JOIN pg_catalog.pg_namespace opn ON opn.oid = op.oprnamespace
    WHERE ${USER_NAMESPACE} AND ${notExtensionMember('pg_proc', 'p.oid')}
    ORDER BY n.nspname, p.proname, identity_arguments`,
  {
    ...ROUTINE_COLUMNS,
    parallel: 'text',
    kind: 'text',
    sfunc: 'text',
    stype: 'text',
    sspace: 'int',
    finalfunc: 'text | null',
    finalextra: 'bool',
    finalmodify: 'text',
    combinefunc: 'text | null',
    serialfunc: 'text | null',
    deserialfunc: 'text | null',
    initcond: 'text | null',
    msfunc: 'text | null',
    minvfunc: 'text | null',
    mstype: 'text | null',
    msspace: 'int',
    mfinalfunc: 'text | null',
    mfinalextra: 'bool',
    mfinalmodify: 'text',
    minitcond: 'text | null',
    sortop: 'text | null',
  },
);

/** Functions, procedures and aggregates by `fn:` key. */
export function buildFunctions(
  functionRows: readonly FunctionRow[],
  aggregateRows: readonly AggregateRow[],
  keys: ObjectKeys,
): Map<string, FunctionInfo> {
  const functions = new Map<string, FunctionInfo>();
  const add = (r: RoutineRow, info: Pick<FunctionInfo, 'kind' | 'definition' | 'language' | 'body'>) => {
    const key = `fn:${r.schema}.${r.name}(${r.identity_arguments})`;
    keys.procs.set(r.oid, key);
    functions.set(key, {
      key,
      schema: r.schema,
      name: r.name,
      kind: info.kind,
      identityArguments: r.identity_arguments,
      arguments: r.arguments,
      result: r.result ?? null,
      definition: info.definition,
      language: info.language,
      body: info.body,
      comment: null,
      acl: parseAcl(r.acl),
      defaultAcl: parseAcl(r.default_acl),
    });
  };
  for (const r of functionRows) {
    add(r, {
      kind: r.prokind === 'p' ? 'procedure' : 'function',
      definition: r.definition.replace(/\s+$/, ''),
      language: r.language,
      body: r.body ?? '',
    });
  }
  for (const r of aggregateRows)
    add(r, { kind: 'aggregate', definition: aggregateDefinition(r), language: 'internal', body: '' });
  return functions;
}

const FINAL_MODIFY: Record<string, string> = { r: 'READ_ONLY', s: 'SHAREABLE', w: 'READ_WRITE' };
const PARALLEL: Record<string, string> = { s: 'SAFE', r: 'RESTRICTED' };

/**
 * CREATE OR REPLACE AGGREGATE from pg_aggregate: PostgreSQL has no pg_get_aggregatedef. Every option that
 * differs from its default is spelled out; function and type names come qualified (empty search_path).
 */
function aggregateDefinition(r: AggregateRow): string {
  const options: string[] = [`SFUNC = ${r.sfunc}`, `STYPE = ${r.stype}`];
  if (r.sspace > 0) options.push(`SSPACE = ${r.sspace}`);
  if (r.finalfunc) {
    options.push(`FINALFUNC = ${r.finalfunc}`);
    if (r.finalextra) options.push('FINALFUNC_EXTRA');
    options.push(`FINALFUNC_MODIFY = ${FINAL_MODIFY[r.finalmodify] ?? 'READ_ONLY'}`);
  }
  if (r.combinefunc) options.push(`COMBINEFUNC = ${r.combinefunc}`);
  if (r.serialfunc) options.push(`SERIALFUNC = ${r.serialfunc}`);
  if (r.deserialfunc) options.push(`DESERIALFUNC = ${r.deserialfunc}`);
  if (r.initcond !== null) options.push(`INITCOND = ${literal(r.initcond)}`);
  if (r.msfunc) {
    options.push(`MSFUNC = ${r.msfunc}`, `MINVFUNC = ${r.minvfunc}`, `MSTYPE = ${r.mstype}`);
    if (r.msspace > 0) options.push(`MSSPACE = ${r.msspace}`);
    if (r.mfinalfunc) {
      options.push(`MFINALFUNC = ${r.mfinalfunc}`);
      if (r.mfinalextra) options.push('MFINALFUNC_EXTRA');
      options.push(`MFINALFUNC_MODIFY = ${FINAL_MODIFY[r.mfinalmodify] ?? 'READ_ONLY'}`);
    }
    if (r.minitcond !== null) options.push(`MINITCOND = ${literal(r.minitcond)}`);
  }
  if (r.sortop) options.push(`SORTOP = ${r.sortop}`);
  if (PARALLEL[r.parallel]) options.push(`PARALLEL = ${PARALLEL[r.parallel]}`);
  if (r.kind === 'h') options.push('HYPOTHETICAL');
  return `CREATE OR REPLACE AGGREGATE ${ident(r.schema)}.${ident(r.name)}(${r.arguments}) (\n    ${options.join(',\n    ')}\n)`;
}
