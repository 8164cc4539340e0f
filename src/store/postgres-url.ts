/**
 * Reading a PostgreSQL store URL: what to connect to, in which schema, and how to name it in logs and errors
 * without its password.
 */
import { ConfigError } from '../errors.js';

/** What a `postgres://` URL designates. */
export interface PostgresTarget {
  /** For `pg`: the URL without `schema`, with the schema's search_path as a startup option. Has the password. */
  connectionString: string;
  /** The schema the store's tables live in; undefined: the server's default search_path. */
  schema: string | undefined;
  host: string;
  port: number;
  database: string;
  /** `postgres://host:port/db` (and `?schema=name`): never the user's password. */
  description: string;
  /** To scrub from error messages. */
  password: string | undefined;
}

/** Lower-case identifiers only: the same name unquoted in search_path and quoted in SQL. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Whether a store spec is a PostgreSQL URL (else it is a SQLite path). */
export function isPostgresSpec(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec.trim());
}

/** Reads a PostgreSQL URL; `schema` (an option) wins over `?schema=` in the URL. */
export function parsePostgresUrl(spec: string, schema?: string): PostgresTarget {
  let url: URL;
  try {
    url = new URL(spec.trim());
  } catch {
    // The URL itself is not repeated: it may hold a password.
    throw new ConfigError('The PostgreSQL store URL is malformed.', {
      hint: 'Use postgres://user:password@host:5432/database (percent-encode special characters of the password), optionally with ?schema=name.',
    });
  }
  const chosen = schema ?? (url.searchParams.get('schema') || undefined);
  url.searchParams.delete('schema');
  if (chosen !== undefined && !SCHEMA_NAME.test(chosen)) {
    throw new ConfigError(`The PostgreSQL schema name "${chosen}" is not usable.`, {
      hint: 'Use lower-case letters, digits and underscores, starting with a letter or underscore (at most 63).',
    });
  }
  if (chosen !== undefined) {
    // Every pooled connection starts in the schema: set as a startup option, no query can run before it.
    const own = url.searchParams.get('options');
    url.searchParams.set('options', `${own ? `${own} ` : ''}-c search_path=${chosen}`);
  }
  const host = decodeURIComponent(url.hostname) || 'localhost';
  const port = url.port ? Number(url.port) : 5432;
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || decodeURIComponent(url.username);
  const password = url.password ? decodeURIComponent(url.password) : undefined;
  return {
    connectionString: url.toString(),
    schema: chosen,
    host,
    port,
    database,
    description: `postgres://${host}:${port}/${database}${chosen !== undefined ? `?schema=${chosen}` : ''}`,
    password,
  };
}

/** Removes the password from a text (an error message), in case a driver repeated it. */
export function scrubPassword(text: string, password: string | undefined): string {
  if (!password) return text;
  return text.split(password).join('***');
}
