import * as core from '@actions/core';
import { asConfigurationError, errorMessage } from '@db-migrate/core';
import { describeError } from './remedy-wording';

/**
 * Runs an action's body: a ConfigurationError fails the step with its one-line message;
 * anything else is reported as a bug, with the (redacted) stack in the debug log.
 */
export async function runAction(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const configuration = asConfigurationError(error);
    if (configuration) {
      core.setFailed(describeError(configuration));
    } else {
      if (error instanceof Error && error.stack) core.debug(errorMessage(error.stack));
      core.setFailed(`unexpected error (a bug in db-migrate): ${errorMessage(error)}`);
    }
  }
}
