export {
  planSyntheticRows,
  fillableTables,
  type SeedPlan,
  type TableSeed,
  type UnfillableTable,
  type RowAttempts,
} from './synthetic';
export { fillEmptyTables, type FillResult } from './fill';
export { countRows, type RowCounts, type TableRows } from './rows';
export { checkUserSeed, describeUserSeed, runUserSeed, type UserSeed } from './user-seed';
