import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** Small key/value facts about this connector installation (its DID, when it was first started). */
export function metaStore(db: Kysely<Database>) {
  return {
    async get(key: string): Promise<string | undefined> {
      const row = await db.selectFrom('connector_meta').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value;
    },
    async set(key: string, value: string): Promise<void> {
      const updated_at = new Date().toISOString();
      await db
        .insertInto('connector_meta')
        .values({ key, value, updated_at })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at }))
        .execute();
    },
    async all(): Promise<Record<string, string>> {
      const rows = await db.selectFrom('connector_meta').select(['key', 'value']).orderBy('key').execute();
      return Object.fromEntries(rows.map((r) => [r.key, r.value]));
    },
  };
}

export type MetaStore = ReturnType<typeof metaStore>;
