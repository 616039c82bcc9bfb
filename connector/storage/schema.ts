import type { OutboxTables } from './outbox-store.ts';
import type { TrustTables } from './trust-store.ts';
import type { NegotiationTables } from './negotiation-store.ts';
import type { CatalogTables } from './catalog-store.ts';
import type { TransferTables } from './transfer-store.ts';
import type { ReceivedMessagesTable } from './work-queue-store.ts';
import type { AuditTables } from './audit-store.ts';

/**
 * The one Database interface that types every table. Each capability declares its tables in its own
 * interface (next to its store) and adds it to the `extends` list here, with a migration in migrations/.
 * Portable column types only: text for JSON and timestamps (ISO 8601, UTC), integer for counters and
 * booleans, so one migration set serves SQLite and PostgreSQL.
 */
export interface ConnectorMetaTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface FoundationTables {
  connector_meta: ConnectorMetaTable;
  received_messages: ReceivedMessagesTable;
}

export interface Database extends FoundationTables, OutboxTables, TrustTables, NegotiationTables, CatalogTables, TransferTables, AuditTables {}
