import { randomBytes } from 'node:crypto';
import { schemaDatabaseUrl } from '../../connector/storage/database.ts';

/**
 * The database a test connector uses: SQLite in its data directory, or, when DATABASE_URL is set (as CI
 * does), a fresh PostgreSQL schema on that server so parallel test files never see each other's rows.
 */
export const POSTGRES_URL = process.env.DATABASE_URL;

export const freshPostgresSchemaUrl = (baseUrl: string): Promise<string> => schemaDatabaseUrl(baseUrl, `t_${randomBytes(6).toString('hex')}`);

export async function testDatabase(): Promise<string> {
  return POSTGRES_URL ? freshPostgresSchemaUrl(POSTGRES_URL) : 'sqlite';
}
