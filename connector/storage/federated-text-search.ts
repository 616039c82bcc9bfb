import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { parseIdList } from './federated-rows.ts';

/**
 * The only dialect-specific SQL of the federated catalog: its full-text index over
 * federated_entries.search_text (already folded to lower case without diacritics), and the condition that
 * finds the entries it matches. SQLite: an FTS5 table with external content, kept in step by triggers. PostgreSQL: a stored
 * tsvector column (configuration 'simple': no stemming, catalogs are multilingual) with a GIN index.
 * Every word of a query must prefix a word of the text.
 */
export interface TextSearch {
  /** Creates the index (migration); `down` drops it. */
  up(db: Kysely<any>): Promise<void>;
  down(db: Kysely<any>): Promise<void>;
  /** The ids of the entries (of any generation) the words match; words are letters and digits only. */
  matchingIds(db: Kysely<any>, words: string[]): Promise<Int32Array>;
}

const idsOf = (rows: { ids: string | null }[]) => parseIdList(rows[0]?.ids ?? null);

const ftsQuery = (words: string[]) => words.map((w) => `"${w}"*`).join(' ');
const tsQuery = (words: string[]) => words.map((w) => `${w}:*`).join(' & ');

const sqlite: TextSearch = {
  async up(db) {
    await sql`create virtual table federated_fts using fts5(search_text, content='federated_entries', content_rowid='entry_id', tokenize='unicode61')`.execute(db);
    await sql`create trigger federated_fts_insert after insert on federated_entries begin insert into federated_fts(rowid, search_text) values (new.entry_id, new.search_text); end`.execute(
      db,
    );
    await sql`create trigger federated_fts_delete after delete on federated_entries begin insert into federated_fts(federated_fts, rowid, search_text) values ('delete', old.entry_id, old.search_text); end`.execute(
      db,
    );
    await sql`create trigger federated_fts_update after update of search_text on federated_entries begin insert into federated_fts(federated_fts, rowid, search_text) values ('delete', old.entry_id, old.search_text); insert into federated_fts(rowid, search_text) values (new.entry_id, new.search_text); end`.execute(
      db,
    );
  },
  async down(db) {
    for (const trigger of ['federated_fts_insert', 'federated_fts_delete', 'federated_fts_update']) await sql`drop trigger if exists ${sql.id(trigger)}`.execute(db);
    await sql`drop table if exists federated_fts`.execute(db);
  },
  matchingIds: async (db, words) =>
    idsOf((await sql<{ ids: string | null }>`select group_concat(rowid) as ids from federated_fts where federated_fts match ${ftsQuery(words)}`.execute(db)).rows),
};

const postgres: TextSearch = {
  async up(db) {
    await sql`alter table federated_entries add column search_vector tsvector generated always as (to_tsvector('simple', search_text)) stored`.execute(db);
    await sql`create index federated_entries_search on federated_entries using gin (search_vector)`.execute(db);
  },
  async down(db) {
    await sql`drop index if exists federated_entries_search`.execute(db);
  },
  matchingIds: async (db, words) =>
    idsOf(
      (
        await sql<{
          ids: string | null;
        }>`select string_agg(entry_id::text, ',') as ids from federated_entries where search_vector @@ to_tsquery('simple', ${tsQuery(words)})`.execute(db)
      ).rows,
    ),
};

/** The text search of the database `db` talks to. */
export function textSearchFor(db: Kysely<any>): TextSearch {
  return db.getExecutor().adapter instanceof PostgresAdapter ? postgres : sqlite;
}
