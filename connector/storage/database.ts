import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { isPostgresUrl } from '../config.ts';
import { openNodeSqlite } from './node-sqlite-database.ts';
import { migrateToLatest } from './migrations.ts';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

export interface ConnectorDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Where it lives, safe to log (a PostgreSQL URL without its password). */
  location: string;
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Strips the password from a connection URL so it can be logged. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable URL)';
  }
}

/**
 * Opens the connector's database and runs migrations: PostgreSQL for a postgres:// URL, otherwise
 * SQLite through node:sqlite ("sqlite" means connector.db in the data directory).
 */
export async function openDatabase(database: string, dataDir: string): Promise<ConnectorDatabase> {
  let connection: ConnectorDatabase;
  if (isPostgresUrl(database)) {
    const pool = new pg.Pool({ connectionString: database, max: 10, connectionTimeoutMillis: 5000 });
    // An idle client that loses its server emits 'error'; without a listener that would crash the process.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    connection = {
      db,
      dialect: 'postgres',
      location: describeDatabaseUrl(database),
      ping: async () => void (await sql`select 1`.execute(db)),
      close: () => db.destroy(),
    };
  } else {
    const path = database === 'sqlite' ? join(dataDir, 'connector.db') : database;
    mkdirSync(join(path, '..'), { recursive: true });
    const sqlite = openNodeSqlite(path);
    // The database holds agreements, sealed tokens and audit entries: readable by this user only.
    for (const file of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    connection = {
      db,
      dialect: 'sqlite',
      location: path,
      ping: async () => void (await sql`select 1`.execute(db)),
      close: () => db.destroy(),
    };
  }
  try {
    const schema = connection.dialect === 'postgres' ? await currentSchema(connection.db) : undefined;
    await migrateToLatest(connection.db, schema);
  } catch (error) {
    await connection.close();
    throw error;
  }
  return connection;
}

/** The schema unqualified table names resolve to (first of search_path); the one our tables live in. */
export async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('The PostgreSQL connection has no current schema (check search_path)');
  return schema;
}

/**
 * A PostgreSQL URL whose connections use schema `schema` of the database `baseUrl` names, created there
 * (emptied first when `replace`): connectors or tests sharing one server never see each other's tables.
 */
export async function schemaDatabaseUrl(baseUrl: string, schema: string, options: { replace?: boolean } = {}): Promise<string> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    if (options.replace) await client.query(`drop schema if exists ${schema} cascade`);
    await client.query(`create schema ${schema}`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}
