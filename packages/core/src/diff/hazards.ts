import type { Hazard } from './types';

/** The hazards the differ flags, one constructor each so codes and wording stay consistent. */
export const hazards = {
  dropsData: (what: string, object?: string): Hazard => ({
    code: 'drops-data',
    message: `drops ${what}: the data it holds is lost`,
    ...(object ? { object } : {}),
  }),
  dropsObject: (what: string): Hazard => ({
    code: 'drops-object',
    message: `drops ${what}: anything outside this schema that uses it breaks`,
  }),
  rewritesTable: (what: string): Hazard => ({
    code: 'rewrites-table',
    message: `changes the type of ${what}: may rewrite the table under an ACCESS EXCLUSIVE lock`,
  }),
  volatileDefault: (what: string): Hazard => ({
    code: 'rewrites-table',
    message: `adds ${what} with a volatile default: rewrites the table under an ACCESS EXCLUSIVE lock`,
  }),
  setNotNull: (what: string): Hazard => ({
    code: 'scans-table',
    message: `sets ${what} NOT NULL: scans the whole table under an ACCESS EXCLUSIVE lock, and fails if it holds NULLs`,
  }),
  addNotNullColumn: (what: string, table?: string): Hazard => ({
    code: 'fails-on-existing-rows',
    message: `adds ${what} NOT NULL without a default: fails if the table has rows`,
    ...(table ? { table } : {}),
  }),
  blocksWrites: (what: string): Hazard => ({
    code: 'blocks-writes',
    message: `builds ${what} without CONCURRENTLY: blocks writes to the table while it builds`,
  }),
  validatesRows: (what: string): Hazard => ({
    code: 'validates-rows',
    message: `adds ${what}: checks every existing row under a lock, and fails if one violates it`,
  }),
  validatesExistingRows: (what: string): Hazard => ({
    code: 'validates-rows',
    message: `validates ${what}: scans every row (without blocking writes), and fails if one violates it`,
  }),
  enumRecreated: (what: string): Hazard => ({
    code: 'enum-recreated',
    message: `recreates ${what} to remove or reorder values: every column using it is rewritten, and fails if a row holds a removed value`,
  }),
  enumValueInTransaction: (what: string): Hazard => ({
    code: 'enum-value-added',
    message: `adds a value to ${what}: the new value cannot be used until this transaction commits`,
  }),
  recreatesObject: (what: string): Hazard => ({
    code: 'recreates-object',
    message: `drops and recreates ${what}: briefly absent, and privileges not managed here are lost`,
  }),
  domainConstraint: (what: string): Hazard => ({
    code: 'validates-rows',
    message: `adds ${what}: checks every column value of the domain, and fails if one violates it`,
  }),
  narrowsType: (what: string, from: string, to: string, how: string): Hazard => ({
    code: 'narrows-type',
    message: `changes the type of ${what} from ${from} to ${to}, which ${how}`,
  }),
  changesValues: (what: string, count: number, example: string): Hazard => ({
    code: 'changes-values',
    message: `changes ${count} value${count === 1 ? '' : 's'} of ${what} that the rows held (${example}), measured on the data check's rows: the old values are lost`,
  }),
  removesEnumValue: (what: string, value: string): Hazard => ({
    code: 'enum-recreated',
    message: `removes the value '${value}' from ${what}: rows holding it fail the change or lose it`,
  }),
  sequenceBounds: (what: string): Hazard => ({
    code: 'sequence-bounds',
    message: `narrows the bounds of ${what}: fails if its current value lies outside them`,
  }),
  changesAccess: (change: string): Hazard => ({
    code: 'changes-access',
    message: `${change}: changes which roles can read or write the rows; check that no client's data opens or closes by mistake`,
  }),
  dropsIndex: (what: string): Hazard => ({
    code: 'drops-index',
    message: `drops ${what}: takes an ACCESS EXCLUSIVE lock on its table, and queries that used it may slow down`,
  }),
  dropsIndexConcurrently: (what: string): Hazard => ({
    code: 'drops-index',
    message: `drops ${what} (CONCURRENTLY, reads and writes go on): queries that used it may slow down`,
  }),
  replicaIdentity: (what: string, identity: string): Hazard => ({
    code: 'replica-identity',
    message: `sets the replica identity of ${what} to ${identity}: logical replication (publications, subscribers, CDC) may stop replicating its updates and deletes, or send other columns`,
  }),
  untrackedDependencies: (what: string, language: string): Hazard => ({
    code: 'untracked-dependencies',
    message: `creates or replaces ${what}, whose ${language} body PostgreSQL does not track: objects it uses are not checked until it runs, and changing them later does not fail`,
  }),
  // Found by the lint in SQL written by hand (the differ never writes these statements).
  generatedStoredColumn: (what: string): Hazard => ({
    code: 'rewrites-table',
    message: `adds ${what} as a GENERATED ... STORED column: computes it for every row, rewriting the table under an ACCESS EXCLUSIVE lock`,
  }),
  setsPersistence: (what: string, persistence: 'LOGGED' | 'UNLOGGED'): Hazard => ({
    code: 'rewrites-table',
    message: `sets ${what} ${persistence}: rewrites the table under an ACCESS EXCLUSIVE lock`,
  }),
  rewritesWholeTable: (command: string, what: string): Hazard => ({
    code: 'rewrites-table',
    message: `${command} ${what}: rewrites the table under an ACCESS EXCLUSIVE lock, blocking reads and writes until it ends`,
  }),
  deletesRows: (how: string, table: string): Hazard => ({
    code: 'drops-data',
    message: `${how} every row of ${table}: the data it holds is lost`,
    object: table,
    acknowledgedAs: 'deletes-rows',
  }),
  updatesEveryRow: (what: string): Hazard => ({
    code: 'updates-every-row',
    message: `updates every row of ${what} (no WHERE): one long transaction that locks every row, and overwrites what they held`,
  }),
  renames: (what: string, to: string): Hazard => ({
    code: 'renames-object',
    message: `renames ${what} to ${to}: running code that still uses the old name breaks until it is deployed`,
  }),
  enumValueUsedInTransaction: (what: string, line: number): Hazard => ({
    code: 'enum-value-added',
    message: `adds ${what}, and the statement at line ${line} uses it in the same transaction: PostgreSQL refuses a new enum value before the transaction that added it commits`,
  }),
} as const;
