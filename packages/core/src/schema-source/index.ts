export * from './schema-source';
export { materializeSchemaSource, describeCommit, type MaterializedSchemaSource } from './materialize';
export * from './build';
export { BUILD_OUTPUT_TAIL_LINES, DEFAULT_BUILD_TIMEOUT_MS } from './build-command';
export { resolveSqlFiles, globToRegExp, type SqlFileList } from './sql-file-list';
export { locateSchemaSource, type SchemaSourceArguments } from './locate';
export { emptyGoalProblem, refuseEmptyGoal, type EmptyGoalInput } from './empty-goal';
