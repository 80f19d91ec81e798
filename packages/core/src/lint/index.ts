export { lintMigrations, type LintFinding, type LintInput, type LintLevel } from './lint';
export { maskSql } from './sql-text';
