export {
  LINT_HAZARD_CODES,
  VOLATILE_FUNCTIONS,
  lintMigrations,
  type LintFinding,
  type LintInput,
  type LintLevel,
  type LintOptions,
  type LintSection,
} from './lint';
