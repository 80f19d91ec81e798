import { type Catalog, childrenOf } from './catalog';
import type { DiffOptions, DiffStatement, Hazard } from './types';

/**
 * Coarse ordering: the priority of a statement when its dependencies leave a choice. Real ordering
 * constraints come from the dependency edges built in order.ts; phases only break ties, so that a
 * migration reads as drops, then creations and alterations, then late drops.
 */
export const Phase = {
  dropTrigger: 10,
  dropPolicy: 11,
  dropRule: 11.5,
  dropView: 12,
  dropForeignKey: 13,
  dropConstraint: 14,
  dropIndex: 15,
  dropFunction: 16,
  dropTable: 17,
  renameType: 18,
  createSchema: 20,
  // Before anything is created, so objects created here get `to`'s default privileges.
  defaultPrivileges: 20.5,
  createExtension: 21,
  createCollation: 22,
  createType: 23,
  alterType: 24,
  createSequence: 25,
  // VALIDATE CONSTRAINT of the online forms (SHARE UPDATE EXCLUSIVE, long scans): before anything of its
  // step takes a lock that blocks the application (SET NOT NULL, ADD CONSTRAINT ... USING INDEX), which
  // would be held through the scans until the step commits.
  validate: 26,
  alterTable: 27,
  alterColumn: 28,
  ownedBy: 29,
  createFunction: 30,
  createIndex: 31,
  addConstraint: 32,
  addForeignKey: 33,
  createView: 34,
  createTrigger: 35,
  createPolicy: 36,
  createRule: 36.5,
  comment: 37,
  privilege: 38,
  dropLate: 40,
  dropSchema: 41,
} as const;

/**
 * The steps of a non-blocking change: each runs after the one before it committed (a later migration file).
 * The step a statement is given is its earliest; order.ts moves it later when what it needs runs later.
 */
export const Step = {
  /** Everything in one transaction: the plain forms, ADD ... NOT VALID, a new column without its NOT NULL. */
  main: 0,
  /** Outside a transaction: CREATE/DROP INDEX CONCURRENTLY, backfills. */
  outside: 1,
  /** In a transaction again: VALIDATE CONSTRAINT, ADD CONSTRAINT ... USING INDEX, SET NOT NULL by a validated check. */
  finish: 2,
} as const;

export interface PlannedStatement extends DiffStatement {
  readonly phase: number;
  /** Keys whose producers must have committed in an earlier step (VALIDATE after its ADD ... NOT VALID). */
  readonly needsCommitted: readonly string[];
  /**
   * The plain form of a non-blocking statement that has one (DROP INDEX for DROP INDEX CONCURRENTLY): taken
   * instead when an ordinary statement of an earlier step must follow it (order.ts), which the later step
   * would otherwise drag away from the statements it was ordered with.
   */
  readonly blocking?: Pick<PlannedStatement, 'sql' | 'hazards' | 'transactional' | 'step'>;
  /** Keys whose `to` state this statement establishes (create, alter, add). */
  readonly produces: readonly string[];
  /** Keys whose `from` state this statement removes (drop, implicit drops of children). */
  readonly removes: readonly string[];
  /** Keys that must be produced (if anything produces them) before this statement. */
  readonly needs: readonly string[];
  /** Keys that must be removed (if anything removes them) before this statement. */
  readonly needsRemoved: readonly string[];
}

type Defaulted =
  | 'produces'
  | 'removes'
  | 'needs'
  | 'needsRemoved'
  | 'needsCommitted'
  | 'hazards'
  | 'destructive'
  | 'transactional'
  | 'step';
export type NewStatement = Omit<PlannedStatement, Defaulted> & Partial<Pick<PlannedStatement, Defaulted>>;

/**
 * The working state of one comparison: both catalogs, the decisions taken about objects (dropped,
 * recreated, retyped...) and the statements emitted so far.
 */
export class DiffContext {
  /** `from` objects that go away and are not in `to` (or are replaced by an object of another kind). */
  readonly dropped = new Set<string>();
  /** Objects on both sides that must be dropped and created again. */
  readonly recreated = new Set<string>();
  /** Objects that disappear with their parent relation: no DROP statement of their own. */
  readonly implicitlyDropped = new Set<string>();
  /** Columns whose type changes, or whose type is being recreated. */
  readonly retyped = new Set<string>();
  /** Views whose definition changes in place (CREATE OR REPLACE): they survive. */
  readonly replaced = new Set<string>();
  /** Columns whose default must be dropped before a change and set again after it. */
  readonly defaultReset = new Set<string>();
  /** Partitioned indexes dropped with CASCADE, with the partitions' own constraints attached to them that go with it. */
  readonly indexCascades = new Map<string, string[]>();
  /** Columns dropped and added again because their type changes to one no cast reaches: column key -> why. */
  readonly noCast = new Map<string, string>();
  readonly statements: PlannedStatement[] = [];

  constructor(
    readonly from: Catalog,
    readonly to: Catalog,
    readonly options: DiffOptions,
  ) {}

  /** True when the `from` object stops existing at some point (dropped, or dropped to be recreated). */
  gone(key: string): boolean {
    return this.dropped.has(key) || this.recreated.has(key);
  }

  /** True when the object existed in `from` and survives (possibly altered): it may hold data. */
  survives(key: string): boolean {
    return !this.gone(key) && this.existsIn(this.from, key);
  }

  existsIn(catalog: Catalog, key: string): boolean {
    const [prefix] = key.split(':', 1);
    switch (prefix) {
      case 'schema':
        return catalog.schemas.has(key);
      case 'ext':
        return catalog.extensions.has(key);
      case 'coll':
        return catalog.collations.has(key);
      case 'type':
        return (
          catalog.enums.has(key) ||
          catalog.domains.has(key) ||
          catalog.compositeTypes.has(key) ||
          catalog.ranges.has(key)
        );
      case 'seq':
        return catalog.sequences.has(key);
      case 'rel':
        return catalog.relations.has(key);
      case 'con':
        return catalog.constraints.has(key);
      case 'idx':
        return catalog.indexes.has(key);
      case 'fn':
        return catalog.functions.has(key);
      case 'trg':
        return catalog.triggers.has(key);
      case 'pol':
        return catalog.policies.has(key);
      case 'col':
        return catalog.columns.has(key);
      case 'stx':
        return catalog.statistics.has(key);
      case 'rule':
        return catalog.rules.has(key);
      case 'defacl':
        return catalog.defaultPrivileges.has(key);
      case 'op':
      case 'opc':
      case 'opf':
      case 'cast':
      case 'tsdict':
      case 'tscfg':
      case 'evt':
      case 'pub':
        return catalog.definedObjects.has(key);
      default:
        return false;
    }
  }

  /**
   * True when changes to this table take their non-blocking forms: `online` is on (the default), the table
   * exists before the change and stays, and it is an ordinary table with no partitions nor inheritance
   * (PostgreSQL refuses CONCURRENTLY and NOT VALID foreign keys on partitioned tables, and checks recurse).
   */
  online(tableKey: string): boolean {
    if (this.options.online === false || !this.survives(tableKey)) return false;
    const [a, b] = [this.from.relations.get(tableKey), this.to.relations.get(tableKey)];
    if (
      !a ||
      !b ||
      a.kind !== 'table' ||
      b.kind !== 'table' ||
      a.partitionOf ||
      b.partitionOf ||
      a.inherits.length > 0 ||
      b.inherits.length > 0
    )
      return false;
    return childrenOf(this.to.relations, tableKey).length === 0;
  }

  /** Marks an object as going away: recreated when `to` still has it, dropped otherwise. */
  markGone(key: string, implicit = false): void {
    if (implicit) this.implicitlyDropped.add(key);
    if (this.existsIn(this.to, key)) this.recreated.add(key);
    else this.dropped.add(key);
  }

  emit(statement: NewStatement): void {
    // A hazard concerns the statement's object unless it names another: acknowledgements match on it.
    const about = (list: readonly Hazard[] = []) =>
      list.map((h) => (h.object ? h : { ...h, object: statement.object.name }));
    this.statements.push({
      produces: [],
      removes: [],
      needs: [],
      needsRemoved: [],
      needsCommitted: [],
      destructive: false,
      transactional: true,
      step: Step.main,
      ...statement,
      hazards: about(statement.hazards),
      ...(statement.blocking
        ? { blocking: { ...statement.blocking, hazards: about(statement.blocking.hazards) } }
        : {}),
    });
  }
}
