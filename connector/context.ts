import type { ConnectorConfig } from './config.ts';
import type { Logger } from './logger.ts';
import type { IdentityKey } from './identity/keys.ts';
import type { DidDocument } from './identity/did-web.ts';
import type { DidResolverService } from './identity/did-resolver.ts';
import type { ConnectorDatabase } from './storage/database.ts';
import type { MetaStore } from './storage/meta-store.ts';
import type { DocumentLoader } from '../vocab/document-loader.ts';
import type { DspFetch } from './http/dsp-client.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetricsRegistry } from './http/metrics.ts';
import type { AnsweredRequest } from './http/middleware.ts';
import type { Outbox } from './outbox/outbox-worker.ts';
import type { OpenApiRegistry } from './http/openapi.ts';
import type { DashboardRegistry } from './dashboard/sections.ts';
import type { TrustServices } from './trust/trust-services.ts';
import type { WalletStore } from './storage/trust-store.ts';
import type { SecretSealer } from './storage/sealed-secrets.ts';
import type { PeerIdentityAdapter } from './trust/peer-identity.ts';
import type { ActionHook } from './processing/processor.ts';

/** Answers the request and returns true, or returns false (synchronously) to leave it to the next handler. */
export type RawRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Everything a route or worker of one running connector needs, built once at start-up. */
export interface ConnectorContext {
  config: ConnectorConfig & { publicUrl: string };
  logger: Logger;
  did: string;
  /** The verification method id of the identity key (did#key-1). */
  keyId: string;
  key: IdentityKey;
  didDocument: DidDocument;
  database: ConnectorDatabase;
  meta: MetaStore;
  didResolver: DidResolverService;
  /** The one JSON-LD document loader: bundled contexts and DIDs, nothing from the network. */
  documentLoader: DocumentLoader;
  apiKey: string;
  /** Sends a DSP/DCP request to a peer, authenticated by the trust layer (see http/dsp-client.ts). */
  dspFetch: DspFetch;
  /** Signing, verification of credentials and presentations, and peer authentication (self-issued ID tokens). */
  trust: TrustServices;
  /** The credentials this connector holds and presents to verifiers. */
  wallet: WalletStore;
  /** Durable outgoing protocol messages, sent with retries by a background worker (outbox/outbox-worker.ts). */
  outbox: Outbox;
  /** Names this installation in leases (outbox, processors): stable per host, data directory and DID. */
  workerId: string;
  /** Seals short secrets kept in the database under a key derived from the identity key. */
  sealer: SecretSealer;
  /** Management API operations, rendered at /api/openapi.json; route groups register theirs. */
  openapi: OpenApiRegistry;
  /** Panels of the operator dashboard at "/"; capabilities add theirs. */
  dashboard: DashboardRegistry;
  /** Prometheus metrics served at /metrics; capabilities register their own counters here. */
  metrics: MetricsRegistry;
  /** Access log line and request metrics for one answered request (Hono middleware and raw routes share it). */
  observeRequest(answered: AnsweredRequest): void;
  /** Routes answered on the raw Node request before Hono sees it: bulk data that must stream at disk speed. */
  rawRoutes: RawRoute[];
  /** Work to stop before the database closes (background workers, timers), run in reverse order. */
  onShutdown(hook: () => Promise<void> | void): void;
  /** Participants known without DIDs; only a conformance fixture installs this (never `hdc start`). */
  peerIdentity?: PeerIdentityAdapter;
  /** Wraps every control-plane action; only a conformance fixture installs this. */
  aroundAction?: ActionHook;
}
