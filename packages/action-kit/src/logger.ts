import * as core from '@actions/core';
import { redact, type Logger } from '@db-migrate/core';

/** The core Logger over @actions/core: warnings and errors become annotations, groups fold in the log. */
export const actionsLogger: Logger = {
  info: (m) => core.info(redact(m)),
  warning: (m) => core.warning(redact(m)),
  error: (m) => core.error(redact(m)),
  debug: (m) => core.debug(redact(m)),
  group: (title, fn) => core.group(redact(title), fn),
};
