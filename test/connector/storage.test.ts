import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase, describeDatabaseUrl, currentSchema } from '../../connector/storage/database.ts';
import { migrateToLatest } from '../../connector/storage/migrations.ts';
import { metaStore } from '../../connector/storage/meta-store.ts';
import { POSTGRES_URL, freshPostgresSchemaUrl } from '../support/database.ts';
import { tempDir } from '../support/connectors.ts';

const dialects: [string, () => Promise<string>][] = [['SQLite (node:sqlite)', async () => join(tempDir(), 'store.db')]];
const postgres = POSTGRES_URL;
if (postgres) dialects.push(['PostgreSQL', () => freshPostgresSchemaUrl(postgres)]);

describe.each(dialects)('storage on %s', (_name, location) => {
  it('migrates, stores, updates and reads back, and survives a reopen', async () => {
    const where = await location();
    const first = await openDatabase(where, tempDir());
    const meta = metaStore(first.db);
    await meta.set('did', 'did:web:127.0.0.1%3A8701');
    await meta.set('note', 'première valeur ✓');
    await meta.set('note', 'second value');
    expect(await meta.get('did')).toBe('did:web:127.0.0.1%3A8701');
    expect(await meta.all()).toEqual({ did: 'did:web:127.0.0.1%3A8701', note: 'second value' });
    expect(await meta.get('missing')).toBeUndefined();
    await first.close();

    const second = await openDatabase(where, tempDir());
    expect(await migrateToLatest(second.db, second.dialect === 'postgres' ? await currentSchema(second.db) : undefined)).toEqual([]);
    expect(await metaStore(second.db).get('note')).toBe('second value');
    await second.ping();
    await second.close();
  });
});

describe('database location', () => {
  it('never shows a PostgreSQL password', () => {
    expect(describeDatabaseUrl('postgres://hdc:s3cret@db.example:5432/hdc')).toBe('postgres://hdc:***@db.example:5432/hdc');
  });

  it('puts the default SQLite file in the data directory', async () => {
    const dir = tempDir();
    const database = await openDatabase('sqlite', dir);
    expect(database.dialect).toBe('sqlite');
    expect(database.location).toBe(join(dir, 'connector.db'));
    await database.close();
  });
});
