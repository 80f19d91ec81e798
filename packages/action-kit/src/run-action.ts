import * as core from '@actions/core';
import { ConfigurationError, errorMessage } from '@db-migrate/core';

/**
 * Runs an action's body: a ConfigurationError fails the step with its one-line message;
 * anything else is reported as a bug, with the (redacted) stack in the debug log.
 */
export async function runAction(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof ConfigurationError) {
      core.setFailed(errorMessage(error));
    } else {
      if (error instanceof Error && error.stack) core.debug(errorMessage(error.stack));
      core.setFailed(`unexpected error (a bug in db-migrate): ${errorMessage(error)}`);
    }
  }
}
