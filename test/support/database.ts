import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The database a test connector uses: SQLite in its data directory, or, when DATABASE_URL is set (as CI
 * does), a fresh PostgreSQL schema on that server so parallel test files never see each other's rows.
 */
export const POSTGRES_URL = process.env.DATABASE_URL;

export async function freshPostgresSchemaUrl(baseUrl: string): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`create schema ${schema}`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

export async function testDatabase(): Promise<string> {
  return POSTGRES_URL ? freshPostgresSchemaUrl(POSTGRES_URL) : 'sqlite';
}
