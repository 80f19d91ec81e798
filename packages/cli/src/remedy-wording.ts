import type { Remedy } from '@db-migrate/core';
import { OPTION_NAMES, commandLine, errorMessage, remediesOf, withRemedies } from './core';

/** A remedy as the CLI says it: as its flag (`pass --allow 'rewrites-table public.orders'`, `raise --max-failures`). */
export function wordRemedy(remedy: Remedy): string {
  switch (remedy.kind) {
    case 'allow':
      return `pass ${OPTION_NAMES.allow.flag} '${remedy.value}'`;
    case 'option': {
      const value = remedy.value === undefined || remedy.value === true ? '' : ` ${remedy.value}`;
      return `${remedy.change === 'raise' || remedy.change === 'lower' ? remedy.change : 'pass'} ${OPTION_NAMES[remedy.option].flag}${value}`;
    }
    case 'command':
      return `run ${commandLine(remedy)}`;
  }
}

/** An error's message with what would fix it, as the CLI prints it. */
export function describeError(error: unknown): string {
  return withRemedies(errorMessage(error), remediesOf(error), wordRemedy);
}
