import { OPTION_NAMES, type Remedy, commandLine, errorMessage, remediesOf, withRemedies } from '@db-migrate/core';

/**
 * A remedy as an action says it: as its input (`add "rewrites-table public.orders" to the input allow`).
 * An option no action takes, and a command only the CLI runs, are named as the CLI's, to run on a checkout.
 */
export function wordRemedy(remedy: Remedy): string {
  switch (remedy.kind) {
    case 'allow':
      return `add the line "${remedy.value}" to the input ${OPTION_NAMES.allow.input}`;
    case 'option': {
      const names: { readonly flag: string; readonly input?: string } = OPTION_NAMES[remedy.option];
      const verb = remedy.change === 'raise' || remedy.change === 'lower' ? remedy.change : 'set';
      if (names.input === undefined)
        return `${verb} ${names.flag}${remedy.value === undefined ? '' : ` ${remedy.value}`} (db-migrate CLI)`;
      return `${verb} the input ${names.input}${remedy.value === undefined ? '' : `: ${remedy.value}`}`;
    }
    case 'command': {
      // A baseline is also a mode of the apply action.
      const to = remedy.options?.find((o) => o.option === 'to')?.value;
      if (remedy.command === 'baseline')
        return `run the apply action with mode: baseline${to ? ` and ${OPTION_NAMES.to.input}: ${to}` : ''}`;
      return `run ${commandLine(remedy)} on a checkout of the repository`;
    }
  }
}

/** An error's message with what would fix it, as an action reports it. */
export function describeError(error: unknown): string {
  return withRemedies(errorMessage(error), remediesOf(error), wordRemedy);
}
