import type { Kysely } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { connectorMeta } from './migrations/0001-connector-meta.ts';
import { outbox } from './migrations/0002-outbox.ts';
import { outboxAccessToken } from './migrations/0003-outbox-access-token.ts';
import { catalog } from './migrations/0101-catalog.ts';
import { federatedSearch } from './migrations/0102-federated-search.ts';
import { federatedSearchInMemory } from './migrations/0103-federated-search-in-memory.ts';
import { trust } from './migrations/0201-trust.ts';
import { walletStatus } from './migrations/0202-wallet-status.ts';
import { credentialRequests } from './migrations/0203-credential-requests.ts';
import { walletIssuance } from './migrations/0204-wallet-issuance.ts';
import { negotiation } from './migrations/0301-negotiation.ts';
import { transfer } from './migrations/0401-transfer.ts';
import { transferRelease } from './migrations/0402-transfer-release.ts';
import { transferDigestSource } from './migrations/0403-transfer-digest-source.ts';
import { processing } from './migrations/0501-processing.ts';
import { audit } from './migrations/0601-audit.ts';

/**
 * In-code migrations, applied in name order at start-up. One set serves both dialects: keep to column
 * types and statements SQLite and PostgreSQL share (text for JSON and ISO timestamps, integer for counters
 * and booleans). Never edit a migration that has shipped; add one. Each capability numbers its migrations
 * in its own range: 00xx foundation, 01xx catalog, 02xx trust, 03xx negotiation, 04xx transfer, 05xx control-plane processing, 06xx audit trail.
 */
const migrations: Record<string, Migration> = {
  '0001_connector_meta': connectorMeta,
  '0002_outbox': outbox,
  '0003_outbox_access_token': outboxAccessToken,
  '0101_catalog': catalog,
  '0102_federated_search': federatedSearch,
  '0103_federated_search_in_memory': federatedSearchInMemory,
  '0201_trust': trust,
  '0202_wallet_status': walletStatus,
  '0203_credential_requests': credentialRequests,
  '0204_wallet_issuance': walletIssuance,
  '0301_negotiation': negotiation,
  '0401_transfer': transfer,
  '0402_transfer_release': transferRelease,
  '0403_transfer_digest_source': transferDigestSource,
  '0501_processing': processing,
  '0601_audit': audit,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Brings the schema up to date; throws MigrationError naming the migration that failed. On PostgreSQL pass
 * the connection's current schema: Kysely looks for its bookkeeping tables across all schemas otherwise,
 * and would take another schema's tables for its own.
 */
export async function migrateToLatest(db: Kysely<any>, schema?: string): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
    // Capabilities number migrations in their own ranges, so a new one may sort before one already applied.
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results = [] } = await migrator.migrateToLatest();
  const failed = results.find((r) => r.status === 'Error');
  if (error) {
    throw new MigrationError(`Database migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? String(error)}`);
  }
  return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
