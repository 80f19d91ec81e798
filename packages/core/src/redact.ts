// Secrets out of every text db-migrate prints, logs or writes. Passwords are registered as they are met
// (registerUrlSecrets in database-url.ts for a database URL).
const registeredSecrets = new Set<string>();

/** Remembers a secret (a password, a whole URL) so that redact() removes it from any later text. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 3) registeredSecrets.add(secret);
}

/**
 * The one secret redactor. Removes every secret registered with registerSecret first (a password that
 * holds "@" or "/" is only recognisable whole), then everything between "://" and the last "@" of a
 * postgres URL (an unencoded "@" belongs to the password; stopping at the first one would print its
 * tail), the userinfo of any other URL, and key=value passwords.
 */
export function redact(text: string): string {
  let out = text;
  for (const secret of [...registeredSecrets].sort((a, b) => b.length - a.length)) {
    out = out.split(secret).join('***');
  }
  out = out.replace(/(postgres(?:ql)?:\/\/)[^\s]*@/gi, '$1***@');
  out = out.replace(/\b([a-z][a-z0-9+.-]*:\/\/)(?!\*\*\*@)[^\s/?#@]*@/gi, '$1***@');
  out = out.replace(/(password\s*=\s*)('[^']*'|[^\s]+)/gi, '$1***');
  return out;
}

/**
 * True when `text` is a registered secret, or holds a URL with a password or a key=value password.
 * (Not "contains a registered secret": a short password such as "postgres" is part of many paths.)
 */
export function holdsSecret(text: string): boolean {
  return (
    registeredSecrets.has(text.trim()) ||
    /[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:[^\s]*@/i.test(text) ||
    /\bpassword\s*=/i.test(text)
  );
}
