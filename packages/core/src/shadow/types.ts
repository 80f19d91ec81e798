/** A database that exists only for one job: a schema is built into it, compared, then it is dropped. */
export interface ShadowDatabase {
  /** Always starts with SHADOW_DATABASE_PREFIX. */
  readonly name: string;
  /** Connection URL (with password: registered with registerUrlSecrets, print describeDatabase(url) instead). */
  readonly url: string;
  /** Drops the database WITH (FORCE), closing its connections. Safe to call twice. */
  drop(): Promise<void>;
}

export interface CreateDatabaseOptions {
  /**
   * Copy this database (CREATE DATABASE ... TEMPLATE) instead of starting empty: the cheap way to get many
   * databases with the same starting content. A ShadowDatabase of this server, or the name of another
   * database on it. Sessions connected to a template this server created are closed before copying
   * (Postgres refuses to copy a database in use); another database's sessions are never touched.
   */
  readonly template?: ShadowDatabase | string;
}

/** A PostgreSQL server on which shadow databases are created: embedded, a Docker container, or a URL. */
export interface ShadowServer {
  /** Which server this is, safe to print (never a password). */
  readonly description: string;
  /** The server's PostgreSQL major version. */
  readonly major: number;
  createDatabase(options?: CreateDatabaseOptions): Promise<ShadowDatabase>;
  /** Drops every database it created and stops whatever it started. Safe to call twice. */
  close(): Promise<void>;
}
