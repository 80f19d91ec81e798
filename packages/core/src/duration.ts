import { ConfigurationError } from './errors';

/** How long something took or may take, for messages: `850 ms`, `1.5 s`, `42 s`, `3 min 20 s`. */
export function describeDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;
  const seconds = Math.round(ms / 1000);
  return seconds < 60 ? `${seconds} s` : `${Math.floor(seconds / 60)} min${seconds % 60 ? ` ${seconds % 60} s` : ''}`;
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** Parses a duration option (`90s`, `5m`, `1h`, `1500ms`; a bare number is milliseconds) into ms; `name` is the option. */
export function parseDuration(text: string, name: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/i.exec(text);
  const ms = match ? Math.round(Number(match[1]) * DURATION_UNITS[(match[2] ?? 'ms').toLowerCase()]!) : NaN;
  if (!Number.isFinite(ms) || ms < 1)
    throw new ConfigurationError(
      `${name} must be a duration such as 90s, 5m or 1h (a bare number is milliseconds), got "${text}"`,
    );
  return ms;
}
