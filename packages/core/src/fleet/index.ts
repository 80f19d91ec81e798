// Fleet apply, the drift check, baseline, staging sync and the pieces callers need (targets, shards, the report).
export { applyFleet, checkFleetDrift, type FleetApplyOptions, type FleetCheckOptions } from './apply';
export { baselineFleet, checkBaselineVersion, type FleetBaselineOptions } from './baseline';
export { compareWithExpected, CONSISTENCY_DIFF_OPTIONS, type Drift } from './consistency';
export {
  expectedSchemas,
  type ExpectedSchema,
  type ExpectedSchemas,
  type ExpectedSchemaStats,
} from './expected-schemas';
export { checkTargetVersion, latestVersion, planMigrations, type MigrationPlan } from '../applier/plan';
export type { ConnectionStats } from './connections';
export * from './report';
export { DEFAULT_RETRY_ATTEMPTS, DEFAULT_RETRY_BASE_DELAY_MS, isTransientFailure, type RetryOptions } from './retry';
export { DEFAULT_CONCURRENCY } from './runner';
export { syncFleet, type SyncOptions } from './sync';
export { parseShard, selectShard, shardOf, type Shard } from './shard';
export * from './targets';
export {
  readStartingVersions,
  runPreflight,
  type PreflightFailure,
  type PreflightInput,
  type PreflightReport,
} from './preflight';
