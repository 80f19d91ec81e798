export {
  LINT_HAZARD_CODES,
  lintMigrations,
  type LintFinding,
  type LintInput,
  type LintLevel,
  type LintOptions,
  type LintSection,
} from './lint';
