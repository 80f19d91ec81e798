import type { PrecheckOptions } from '@db-migrate/core';
import {
  DEFAULT_LARGE_TABLE_BYTES,
  DEFAULT_LARGE_TABLE_ROWS,
  DEFAULT_PRECHECK_MAX_ROWS,
  DEFAULT_PRECHECK_TIMEOUT_MS,
} from '@db-migrate/core/src/prechecks/types'; // data only: help must not load the core
import { type OptionTable, type OptionValues, givenIntegers } from '../command';

/** The bounds of the pre-checks apply and sync run on each database before touching it (docs/prechecks.md). */
export const precheckOptions: OptionTable = {
  'precheck-max-rows': {
    type: 'string',
    value: '<N>',
    description: 'A pre-check on a table estimated above N rows is skipped, with a notice.',
    default: String(DEFAULT_PRECHECK_MAX_ROWS),
  },
  'precheck-timeout': {
    type: 'string',
    value: '<ms>',
    description: 'statement_timeout of each pre-check; one that runs out is skipped, with a notice.',
    default: String(DEFAULT_PRECHECK_TIMEOUT_MS),
  },
  'large-table-rows': {
    type: 'string',
    value: '<N>',
    description:
      'A statement that rewrites or scans a table above N rows under a strong lock is refused there unless --allow names it.',
    default: String(DEFAULT_LARGE_TABLE_ROWS),
  },
  'large-table-bytes': {
    type: 'string',
    value: '<bytes>',
    description: '... or above this size (pg_total_relation_size).',
    default: `${DEFAULT_LARGE_TABLE_BYTES} (10 MB)`,
  },
};

export const PRECHECK_USAGE =
  '[--precheck-max-rows N] [--precheck-timeout ms] [--large-table-rows N] [--large-table-bytes B]';

/** The pre-check bounds given on the command line. */
export function precheckSettings(values: OptionValues): PrecheckOptions {
  return givenIntegers(values, {
    maxRows: 'precheck-max-rows',
    timeoutMs: 'precheck-timeout',
    largeTableRows: 'large-table-rows',
    largeTableBytes: 'large-table-bytes',
  });
}
