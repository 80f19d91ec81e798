export { migrationStatements, sqlStatements, type PendingStatement } from './statements';
export {
  describeBytes,
  describeCheck,
  describeLockedTable,
  precheckRefusal,
  runPrechecks,
  type PrecheckInput,
} from './run';
export { estimateLockSeconds, LOCK_RATES } from './large-tables';
export * from './types';
