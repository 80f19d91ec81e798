/** Quoting helpers: every identifier we print is double-quoted, every literal single-quoted. */

export function ident(name: string): string {
  return '"' + name.replace(/"/g, '""') + '"';
}

export function qualified(schema: string, name: string): string {
  return `${ident(schema)}.${ident(name)}`;
}

export function literal(value: string): string {
  return "'" + value.replace(/'/g, "''") + "'";
}
