/**
 * What the audit trail records: every decision and data movement of a connector, as typed events. Details
 * hold identifiers, outcomes, reasons and counts, never patient-level data and never secrets (tokens, keys):
 * `checkAuditEvent` refuses members whose names say they are secrets, and values too large to be metadata.
 */

/**
 * Who caused the event: this connector on its own, its operator (management API or CLI), or a peer: its
 * DID, or `participant:<id>` for a peer known by another participant id (a conformance fixture's).
 */
export type AuditActor = 'connector' | 'operator' | `did:${string}` | `participant:${string}`;

/** The audit actor for a peer's participant id. */
export const peerActor = (participantId: string): AuditActor => (participantId.startsWith('did:') ? (participantId as `did:${string}`) : `participant:${participantId}`);

/** The ids an event concerns; the management API and the CLI filter on them. */
export interface AuditSubjects {
  negotiationId?: string;
  agreementId?: string;
  transferId?: string;
  credentialId?: string;
  memberDid?: string;
  queryId?: string;
}

/** Release pipeline counts of one transfer (consent filter, de-identification), when the data went through it. */
export interface ReleaseCounts {
  included: number;
  excluded: number;
  [reason: string]: number;
}

/** Each event type with the subjects it names and the details it carries. */
export interface AuditEventShapes {
  /** The provider decided a contract request: agreed, refused, or held for the operator's approval. */
  'negotiation.decided': {
    subjects: { negotiationId: string };
    details: { outcome: 'agreed' | 'refused' | 'awaits-approval'; reasons: string[]; counterpartyDid: string; datasetId: string; offerId: string };
  };
  /** The operator approved a request that awaited approval (step: a later decision held by reviewNegotiationSteps, agree or finalize). */
  'negotiation.approved': { subjects: { negotiationId: string }; details: { datasetId: string; counterpartyDid: string; step?: 'agree' | 'finalize' } };
  /** The operator rejected a request (or a later step) that awaited approval. */
  'negotiation.rejected': { subjects: { negotiationId: string }; details: { datasetId: string; counterpartyDid: string; reason: string; step?: 'agree' | 'finalize' } };
  /** A negotiation ended without an agreement (by this side, the peer, or a timeout). */
  'negotiation.terminated': { subjects: { negotiationId: string }; details: { by: 'us' | 'peer' | 'timeout'; reasons: string[] } };
  /** An agreement was concluded (FINALIZED); doublySigned: the consumer's counter-signature is on it. */
  'agreement.concluded': {
    subjects: { agreementId: string; negotiationId: string };
    details: { role: 'provider' | 'consumer'; providerDid: string; consumerDid: string; datasetId: string; doublySigned: boolean };
  };
  /** The provider's operator released a transfer request held for review (reviewTransfers): the start follows. */
  'transfer.approved': { subjects: { transferId: string; agreementId: string }; details: { datasetId: string; counterpartyDid: string } };
  /** A transfer was started: from now on data may move under the agreement. */
  'transfer.started': {
    subjects: { transferId: string; agreementId: string };
    details: { role: 'provider' | 'consumer'; counterpartyDid: string; datasetId: string; transferType: string };
  };
  /** A transfer completed: what moved, identified by its digest and size. */
  'transfer.completed': {
    subjects: { transferId: string; agreementId: string };
    details: { role: 'provider' | 'consumer'; digest: string; sizeBytes: number; release?: ReleaseCounts };
  };
  /** A transfer was terminated (by this side, the peer, or enforcement of the agreement). */
  'transfer.terminated': { subjects: { transferId: string; agreementId?: string }; details: { by: 'us' | 'peer' | 'enforcement'; reasons: string[] } };
  /** The authority admitted a member (or updated its registration). */
  'member.admitted': { subjects: { memberDid: string }; details: { role: string; name: string } };
  /** The authority suspended a member; its participant credentials are revoked with it. */
  'member.suspended': { subjects: { memberDid: string }; details: { reason: string; revokedCredentials: number } };
  /** The authority issued a credential. */
  'credential.issued': {
    /** memberDid: the subject's DID, when the credential names one (VCDM 2.0 allows subjects without an id). */
    subjects: { credentialId: string; memberDid?: string };
    /** statusList and statusIndex: the authority's status entry, absent for a credential without one (VCDM 1.1). */
    details: { types: string[]; validUntil: string | null; statusList?: string; statusIndex?: number };
  };
  /** The authority revoked a credential (its status list bit is set). */
  'credential.revoked': { subjects: { credentialId: string; memberDid?: string }; details: { reason: string } };
  /** A feasibility query was answered (an aggregate, protected count) or refused. */
  'feasibility.answered': { subjects: { queryId: string }; details: { requesterDid: string; outcome: 'answered' | 'refused'; reasons: string[] } };
}

export type AuditEventType = keyof AuditEventShapes;

export const AUDIT_EVENT_TYPES = [
  'negotiation.decided',
  'negotiation.approved',
  'negotiation.rejected',
  'negotiation.terminated',
  'agreement.concluded',
  'transfer.approved',
  'transfer.started',
  'transfer.completed',
  'transfer.terminated',
  'member.admitted',
  'member.suspended',
  'credential.issued',
  'credential.revoked',
  'feasibility.answered',
] as const satisfies readonly AuditEventType[];

/** One event as a caller records it; the trail adds its sequence number, time and hashes. */
export type AuditEvent = {
  [T in AuditEventType]: { type: T; actor: AuditActor; subjects: AuditEventShapes[T]['subjects']; details: AuditEventShapes[T]['details'] };
}[AuditEventType];

/** The part of the event type before the dot: negotiation, agreement, transfer, member, credential, feasibility. */
export function auditCategory(type: string): string {
  return type.split('.')[0]!;
}

export class UnauditableEventError extends Error {
  override name = 'UnauditableEventError';
}

const SECRET_NAME = /token|secret|password|passphrase|private|authorization|apikey|api_key|credentialSubject|proof|jws/i;
const MAX_STRING = 2000;
const MAX_DEPTH = 4;

/**
 * Throws UnauditableEventError unless the event is metadata an audit trail may keep for years: a known type,
 * an actor, string subject ids, and details without secret-named members, long texts or deep nesting (which is
 * where records, tokens or whole documents would hide).
 */
export function checkAuditEvent(event: { type: string; actor: string; subjects: object; details: object }): void {
  if (!(AUDIT_EVENT_TYPES as readonly string[]).includes(event.type)) throw new UnauditableEventError(`Unknown audit event type "${event.type}"`);
  if (!/^(connector|operator|did:.+|participant:\S+)$/.test(event.actor)) throw new UnauditableEventError(`"${event.actor}" is not an audit actor`);
  for (const [name, id] of Object.entries(event.subjects)) {
    if (typeof id !== 'string' || id === '' || id.length > 500) throw new UnauditableEventError(`Subject ${name} must be a non-empty id`);
  }
  checkDetails(event.details, 'details', 0);
}

function checkDetails(value: unknown, path: string, depth: number): void {
  if (typeof value === 'string' && value.length > MAX_STRING) throw new UnauditableEventError(`${path} is longer than ${MAX_STRING} characters`);
  if (value === null || typeof value !== 'object') return;
  if (depth >= MAX_DEPTH) throw new UnauditableEventError(`${path} nests deeper than ${MAX_DEPTH} levels`);
  for (const [name, member] of Object.entries(value)) {
    if (!Array.isArray(value) && SECRET_NAME.test(name))
      throw new UnauditableEventError(`${path}.${name} looks like a secret or a whole credential; audit entries keep ids and outcomes only`);
    checkDetails(member, `${path}.${name}`, depth + 1);
  }
}
