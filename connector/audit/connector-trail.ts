import type { Transaction } from 'kysely';
import type { ConnectorContext } from '../context.ts';
import { auditStore } from '../storage/audit-store.ts';
import type { Database } from '../storage/schema.ts';
import { type AuditTrail, createAuditTrail } from './trail.ts';

export type ConnectorAuditTrail = AuditTrail<Transaction<Database>>;

const trails = new WeakMap<ConnectorContext, ConnectorAuditTrail>();

/**
 * The one audit trail of a running connector, on its database and signed with its identity key; built on
 * first use, with its last checkpoint signed at shutdown. Every capability that records asks for it here, so
 * they all extend the same chain.
 */
export function connectorAuditTrail(ctx: ConnectorContext): ConnectorAuditTrail {
  const existing = trails.get(ctx);
  if (existing) return existing;
  const trail = createAuditTrail({
    store: auditStore(ctx.database.db, ctx.database.dialect),
    did: ctx.did,
    keyId: ctx.keyId,
    privateKey: ctx.key.privateKey,
    publicKey: ctx.key.publicKey,
    logger: ctx.logger.child({ component: 'audit' }),
  });
  trails.set(ctx, trail);
  ctx.onShutdown(() => trail.close());
  return trail;
}
