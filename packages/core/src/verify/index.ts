export * from './report';
export { verifyMigrations, type VerifyOptions } from './verify';
export {
  checkNumbering,
  sameCommit,
  type MigrationEntry,
  type NumberingOptions,
  type NumberingOutcome,
} from './numbering';
export { checkHazards } from './hazards';
export { planReversibility, type ReversibilityPlan, type RevertTarget } from './reversibility';
export { checkData, rowFailureHint, type DataCheckInput } from './data';
export { LOCK_MODES, lockGroups, type LockMode, type LocksMeasured, type StatementLock } from '../rehearsal/locks';
