export { lintMigrations, type LintFinding, type LintInput, type LintLevel } from './lint';
