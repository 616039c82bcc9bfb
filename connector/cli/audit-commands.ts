import { createPublicKey, type KeyObject } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { isPostgresUrl } from '../config.ts';
import { describeDatabaseUrl } from '../storage/database.ts';
import { type ChainVerdict, verifyChain } from '../../contracts/audit/chain.ts';
import { exportLines, parseExport } from '../audit/trail.ts';
import { auditStore } from '../storage/audit-store.ts';
import { openNodeSqlite } from '../storage/node-sqlite-database.ts';
import type { Database } from '../storage/schema.ts';
import { IDENTITY_KEY_FILE } from '../identity/keys.ts';
import { decodeMultikey, ED25519_PUBLIC_HEADER } from '../../vocab/multikey.ts';
import { CONNECTION_OPTIONS, parseManagementArgs } from './connection.ts';
import { ManagementApiError } from './management-client.ts';
import { subcommand } from './trust-commands.ts';
import { UsageError } from './usage-error.ts';

type Out = (line: string) => void;

export const AUDIT_USAGE = `Usage: hdc audit <verify|export> [options]
  verify                        check the running connector's audit chain and its signed checkpoints
  verify --data-dir <dir>       offline: open <dir>/connector.db read-only (a copied data directory works)
  verify --database <url>       offline: a PostgreSQL database (a restored copy), read in read-only sessions
  verify --file <export.jsonl>  offline: check an export
         [--public-key <z6Mk…>] offline: the connector's public key (from its DID document) that must have
                                signed the checkpoints; default: the public key in <dir>/keys/identity-key.json
  export [--out <file>]         the entries and checkpoints as JSON lines (default: standard output)
         [--data-dir <dir> | --database <url>]  offline
Exit codes: 0 intact (or exported), 1 the chain is broken (the first broken entry is named), 2 wrong arguments.`;

const OFFLINE_OPTIONS = {
  'data-dir': { type: 'string' },
  database: { type: 'string' },
  file: { type: 'string' },
  'public-key': { type: 'string' },
  out: { type: 'string' },
} as const;

/** Where an offline command reads: a data directory (its SQLite file, its key), a PostgreSQL URL, or both. */
interface OfflineSource {
  dataDir?: string;
  database?: string;
}

export async function auditCommand(args: string[], out: Out): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...CONNECTION_OPTIONS, ...OFFLINE_OPTIONS }, allowPositionals: true, strict: true });
  const action = subcommand(positionals, ['verify', 'export'], AUDIT_USAGE);
  if (positionals.length > 1) throw new UsageError(`Unexpected argument "${positionals[1]}".`, AUDIT_USAGE);
  const source: OfflineSource = { ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}), ...(values.database ? { database: values.database } : {}) };
  const offline = source.dataDir ?? source.database ?? values.file;
  if (values.file && (source.dataDir || source.database)) throw new UsageError('Give --file, or --data-dir/--database, not both.', AUDIT_USAGE);
  if (source.database && !isPostgresUrl(source.database)) throw new UsageError('--database takes a postgres:// URL (for SQLite, give --data-dir).', AUDIT_USAGE);
  if (offline && (values.config || values.url)) throw new UsageError('Offline (--data-dir, --database, --file) or a running connector (--config, --url), not both.', AUDIT_USAGE);
  if (action === 'export') {
    if (values.file || values['public-key']) throw new UsageError('export takes --out and --data-dir or --database (or a connector).', AUDIT_USAGE);
    return exportTrail(args, offline ? source : undefined, values.out, out);
  }
  if (values.out) throw new UsageError('verify takes no --out.', AUDIT_USAGE);
  if (!offline) {
    if (values['public-key']) throw new UsageError('--public-key is for offline checks (--data-dir, --database, --file).', AUDIT_USAGE);
    const { client } = parseManagementArgs(args, {}, AUDIT_USAGE);
    return report(await client.get<ChainVerdict>('/audit/verify'), client.baseUrl, out);
  }
  const key = offlineKey(values['public-key'], source.dataDir);
  if (!key) out('No public key to check checkpoints with: give --public-key (the connector DID document lists it).');
  const resolveKey = () => key;
  if (values.file) {
    if (!existsSync(values.file)) throw new UsageError(`No file ${values.file}.`, AUDIT_USAGE);
    const { entries, checkpoints } = parseExport(readFileSync(values.file, 'utf8'));
    return report(await verifyChain(entries, checkpoints, resolveKey), values.file, out);
  }
  const where = source.database ? describeDatabaseUrl(source.database) : source.dataDir!;
  return withOfflineStore(source, async (store) => report(await verifyChain(store.allEntries(), await store.checkpoints(), resolveKey), where, out));
}

/** Prints the verdict; the exit code is 0 when intact, 1 naming the first broken entry otherwise. */
function report(verdict: ChainVerdict, where: string, out: Out): number {
  if (verdict.firstBroken) {
    const { sequence, reason, message } = verdict.firstBroken;
    out(`Audit trail of ${where} is BROKEN at entry ${sequence} (${reason}): ${message}`);
    out(`Entries 1–${sequence - 1} are intact; ${verdict.checkpoints} checkpoint(s) stored.`);
    return 1;
  }
  out(`Audit trail of ${where} is intact: ${verdict.entries} entries, ${verdict.checkpoints} signed checkpoint(s), head ${verdict.head.hash}.`);
  if (verdict.head.sequence > verdict.signedThrough) {
    out(`Entries ${verdict.signedThrough + 1}–${verdict.head.sequence} are hash-chained but not yet covered by a signed checkpoint: removing them from the end would not show.`);
  }
  return 0;
}

async function exportTrail(args: string[], source: OfflineSource | undefined, outFile: string | undefined, out: Out): Promise<number> {
  if (source) {
    await withOfflineStore(source, (store) => writeTo(outFile, exportLines(store)));
  } else {
    const { client } = parseManagementArgs(args, { out: { type: 'string' } }, AUDIT_USAGE);
    const response = await client.fetch('/audit/export');
    if (!response.ok || !response.body) throw new ManagementApiError(response.status, `GET /audit/export failed with ${response.status}`);
    await writeTo(outFile, Readable.fromWeb(response.body as NodeReadableStream));
  }
  if (outFile) out(`Exported the audit trail to ${outFile}.`);
  return 0;
}

/** Writes the lines to the file, or to standard output (which stays open). */
async function writeTo(outFile: string | undefined, source: AsyncIterable<string | Uint8Array>): Promise<void> {
  if (outFile) return pipeline(Readable.from(source), createWriteStream(outFile));
  for await (const chunk of source) if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
}

/** The key checkpoints must verify with: given on the command line, or the data directory's public key. */
function offlineKey(multibase: string | undefined, dataDir: string | undefined): KeyObject | undefined {
  let publicKeyMultibase = multibase;
  const keyFile = dataDir && join(dataDir, IDENTITY_KEY_FILE);
  if (!publicKeyMultibase && keyFile && existsSync(keyFile)) publicKeyMultibase = (JSON.parse(readFileSync(keyFile, 'utf8')) as { publicKeyMultibase: string }).publicKeyMultibase;
  if (!publicKeyMultibase) return undefined;
  let raw: Uint8Array;
  try {
    raw = decodeMultikey(publicKeyMultibase, ED25519_PUBLIC_HEADER);
  } catch (error) {
    throw new UsageError(`--public-key is not an Ed25519 Multikey: ${(error as Error).message}`, AUDIT_USAGE);
  }
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** Opens the offline database without writing to it (SQLite read-only; PostgreSQL read-only sessions) for `work`. */
async function withOfflineStore<T>(source: OfflineSource, work: (store: ReturnType<typeof auditStore>) => Promise<T>): Promise<T> {
  const db = source.database ? readOnlyPostgres(source.database) : readOnlySqlite(join(source.dataDir!, 'connector.db'));
  try {
    return await work(auditStore(db, source.database ? 'postgres' : 'sqlite'));
  } catch (error) {
    if (/no such table: audit_|relation "audit_\w+" does not exist/.test((error as Error).message)) {
      throw new Error('This database has no audit trail (written by a connector from before the audit migration)');
    }
    throw error;
  } finally {
    await db.destroy();
  }
}

function readOnlySqlite(path: string): Kysely<Database> {
  if (!existsSync(path)) throw new UsageError(`No connector database at ${path}.`, AUDIT_USAGE);
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: openNodeSqlite(path, { readOnly: true }) }) });
}

function readOnlyPostgres(url: string): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5000 });
  pool.on('error', () => {});
  pool.on('connect', (client) => void client.query('SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY').catch(() => {}));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}
