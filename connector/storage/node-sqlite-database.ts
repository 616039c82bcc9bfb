import { DatabaseSync, type SQLInputValue } from 'node:sqlite';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * Adapts Node's built-in node:sqlite to the database interface Kysely's SqliteDialect expects, so the
 * embedded store needs no native addon. Booleans become 0/1 and undefined becomes NULL, as SQLite has
 * neither. `readOnly` opens an existing file without ever writing to it.
 */
export function openNodeSqlite(path: string, options: { readOnly?: boolean } = {}): SqliteDatabase {
  const db = new DatabaseSync(path, { readOnly: options.readOnly ?? false });
  // Read-only (an auditor's copy): nothing may be written, not even the journal mode.
  db.exec(options.readOnly ? 'PRAGMA busy_timeout = 5000;' : 'PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;');
  // Kysely prepares every query anew; the same few hundred SQL texts recur, so prepared statements are kept.
  const prepared = new Map<string, { statement: ReturnType<DatabaseSync['prepare']>; reader: boolean }>();
  return {
    close: () => {
      prepared.clear();
      db.close();
    },
    prepare(sql: string): SqliteStatement {
      let entry = prepared.get(sql);
      if (!entry) {
        const statement = db.prepare(sql);
        entry = { statement, reader: statement.columns().length > 0 };
        if (prepared.size >= STATEMENT_CACHE_SIZE) prepared.delete(prepared.keys().next().value!);
        prepared.set(sql, entry);
      }
      const { statement, reader } = entry;
      return {
        reader,
        all: (parameters) => statement.all(...toSqlite(parameters)) as unknown[],
        run: (parameters) => statement.run(...toSqlite(parameters)),
        iterate: (parameters) => statement.iterate(...toSqlite(parameters)) as IterableIterator<unknown>,
      };
    },
  };
}

const STATEMENT_CACHE_SIZE = 500;

function toSqlite(parameters: ReadonlyArray<unknown>): SQLInputValue[] {
  return parameters.map((value) => {
    if (value === undefined) return null;
    if (typeof value === 'boolean') return value ? 1 : 0;
    if (value instanceof Date) return value.toISOString();
    return value as SQLInputValue;
  });
}
