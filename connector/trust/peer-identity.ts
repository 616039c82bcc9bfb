import type { Caller, TrustServices } from './trust-services.ts';
import type { DidResolverService } from '../identity/did-resolver.ts';
import type { PresentationCheck } from '../../contracts/credentials/verifier.ts';

/**
 * Participants this connector knows by other means than a DID and credentials, installed by a test
 * fixture (the DSP TCK's, scripts/tck/) through startConnector's options; `hdc start` never installs one.
 * A known participant's Authorization header stands for it as is; it holds no credentials, and its DID
 * is never resolved (it has none).
 */
export interface PeerIdentityAdapter {
  /** This connector's participant id in protocol messages (catalog, agreements), instead of its DID. */
  participantId?: string;
  /** The caller an Authorization header stands for, or undefined to check it as a self-issued ID token. */
  authenticate(authorization: string): Caller | undefined;
  /** Whether `participantId` is one of the adapter's participants. */
  knows(participantId: string): boolean;
}

/** What a known participant presents: nothing, verified (policy terms that ask for credentials refuse it). */
export const noCredentials = (holder: string): PresentationCheck => ({ verified: true, holder, credentials: [], presented: [] });

/** The resolver, answering a known participant's id with a DID document that lists no keys and no services. */
export function withKnownParticipants(resolver: DidResolverService, adapter: PeerIdentityAdapter | undefined): DidResolverService {
  if (!adapter) return resolver;
  return { ...resolver, resolve: async (did) => (adapter.knows(did) ? { id: did, service: [] } : resolver.resolve(did)) };
}

/** The trust services, taking a known participant's Authorization header before any self-issued ID token. */
export function withKnownCallers(trust: TrustServices, adapter: PeerIdentityAdapter | undefined): TrustServices {
  if (!adapter) return trust;
  return { ...trust, authenticate: async (authorization) => adapter.authenticate(authorization) ?? trust.authenticate(authorization) };
}
