import { EventEmitter } from 'node:events';
import type { ConnectorContext } from '../context.ts';
import { readBoundedText } from '../egress/bounded-body.ts';
import { HttpProblem } from '../http/errors.ts';
import { ISSUER_SERVICE, serviceEndpointOf } from '../identity/did-web.ts';
import { FINAL_REQUEST_STATUSES, walletIssuanceStore, type WalletCredentialRequest } from '../storage/wallet-issuance-store.ts';
import { DCP_CONTEXT } from './credential-service.ts';

/**
 * The holder's side of DCP issuance (§6.4, §6.6): reading an issuer's metadata, sending it a
 * CredentialRequestMessage (recorded first, by its holderPid, so the delivery can be matched to it), waiting
 * for that delivery, and answering offers.
 */

const MAX_METADATA_BYTES = 256 * 1024;
const POLL_MS = 250;

/** Wakes waiters in this process when a delivery is recorded; other replicas' deliveries are seen by polling. */
const deliveries = new EventEmitter().setMaxListeners(0);

export function deliveryRecorded(holderPid: string): void {
  deliveries.emit(holderPid);
}

type CredentialObject = { id: string; credentialType?: string } & Record<string, unknown>;

/** Where an issuer's Issuer Service is (its DID document's IssuerService entry). */
async function issuerEndpoint(ctx: ConnectorContext, issuerDid: string): Promise<string> {
  const endpoint = serviceEndpointOf(await ctx.didResolver.resolve(issuerDid), ISSUER_SERVICE);
  if (!endpoint) throw new HttpProblem(400, 'not_an_authority', `${issuerDid} publishes no ${ISSUER_SERVICE}`);
  return endpoint;
}

/** The credential objects an issuer's metadata (§6.7) lists. */
export async function issuerCredentialObjects(ctx: ConnectorContext, issuerDid: string, endpoint?: string): Promise<CredentialObject[]> {
  const base = endpoint ?? (await issuerEndpoint(ctx, issuerDid));
  const response = await ctx.dspFetch({ url: `${base}/metadata`, audienceDid: issuerDid, method: 'GET' });
  let metadata: { issuer?: unknown; credentialsSupported?: unknown } = {};
  try {
    metadata = JSON.parse(await readBoundedText(response, MAX_METADATA_BYTES));
  } catch {
    // answered below
  }
  const objects = metadata.credentialsSupported;
  if (!response.ok || metadata.issuer !== issuerDid || !Array.isArray(objects))
    throw new HttpProblem(502, 'authority_garbage', `${issuerDid} answered no issuer metadata of its own`);
  return objects.filter((o): o is CredentialObject => typeof o?.id === 'string');
}

/** The credential types this connector trusts `issuerDid` for ('*': every type); empty when it does not trust it. */
export function trustedTypesOf(ctx: Pick<ConnectorContext, 'config'>, issuerDid: string): string[] {
  return ctx.config.trustedIssuers.filter((t) => t.did === issuerDid).flatMap((t) => t.credentialTypes);
}

const trustedFor = (types: string[], object: CredentialObject) => types.includes('*') || (object.credentialType !== undefined && types.includes(object.credentialType));

/** One object per credential type, the first listed: an issuer may offer one type in several profiles (ldp, jwt). */
function oneFormPerType(objects: CredentialObject[]): CredentialObject[] {
  const seen = new Set<string>();
  return objects.filter((o) => {
    const key = o.credentialType ?? o.id;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Sends `issuerDid` a CredentialRequestMessage for the given credential object ids, or for the objects of its
 * metadata whose type this connector trusts it for (all types, when it does not trust it at all: the wallet
 * then refuses what is delivered, with the reason), one per type: the first form the issuer lists. Throws
 * HttpProblem 502 when the issuer refuses.
 */
export async function requestCredentials(
  ctx: ConnectorContext,
  issuerDid: string,
  options: { credentials?: string[]; offerId?: string } = {},
): Promise<{ holderPid: string; issuerDid: string; requested: string[]; location: string | null }> {
  const endpoint = await issuerEndpoint(ctx, issuerDid);
  let ids = options.credentials;
  if (!ids) {
    const offered = await issuerCredentialObjects(ctx, issuerDid, endpoint);
    const types = trustedTypesOf(ctx, issuerDid);
    ids = oneFormPerType(types.length > 0 ? offered.filter((o) => trustedFor(types, o)) : offered).map((o) => o.id);
    if (ids.length === 0) throw new HttpProblem(400, 'invalid_request', `${issuerDid} offers no credential of a type this connector trusts it for`);
  }
  const store = walletIssuanceStore(ctx.database.db);
  const holderPid = `urn:uuid:${crypto.randomUUID()}`;
  // Recorded before it is sent: the delivery may arrive before the issuer's answer does.
  await store.insertRequest({ holderPid, issuerDid, requested: ids, ...(options.offerId ? { offerId: options.offerId } : {}) });
  let response: Response;
  try {
    response = await ctx.dspFetch({
      url: `${endpoint}/credentials`,
      audienceDid: issuerDid,
      body: { '@context': [DCP_CONTEXT], type: 'CredentialRequestMessage', holderPid, credentials: ids.map((id) => ({ id })) },
    });
    await response.body?.cancel();
  } catch (error) {
    await store.answered(holderPid, { status: 'FAILED', reason: `not sent: ${(error as Error).message}` });
    throw new HttpProblem(502, 'authority_unreachable', `${issuerDid} could not be reached: ${(error as Error).message}`);
  }
  if (response.status !== 201) {
    await store.answered(holderPid, { status: 'FAILED', reason: `the issuer answered HTTP ${response.status}` });
    throw new HttpProblem(502, 'authority_refused', `${issuerDid} answered HTTP ${response.status}`);
  }
  const location = response.headers.get('location');
  const issuerPid = location ? decodeURIComponent(location.split('/').at(-1) ?? '') : '';
  await store.answered(holderPid, { status: 'RECEIVED', ...(issuerPid ? { issuerPid } : {}) });
  ctx.logger.info('credentials requested over DCP', { issuer: issuerDid, holderPid, credentials: ids });
  return { holderPid, issuerDid, requested: ids, location };
}

/** The request once its delivery has come (or it failed), or undefined if that takes longer than `timeoutMs`. */
export async function waitForDelivery(ctx: ConnectorContext, holderPid: string, timeoutMs: number): Promise<WalletCredentialRequest | undefined> {
  const store = walletIssuanceStore(ctx.database.db);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const request = await store.request(holderPid);
    if (!request || FINAL_REQUEST_STATUSES.includes(request.status)) return request;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        deliveries.off(holderPid, done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(POLL_MS, left));
      deliveries.once(holderPid, done);
    });
  }
}

/**
 * A CredentialOfferMessage received (already authenticated and checked to come from its issuer): recorded, and
 * when `requestOfferedCredentials` is on and the issuer is one this connector trusts, the offered credentials of
 * the types it trusts the issuer for are requested, after the offer has been answered. Sparse offers (ids only)
 * are resolved against the issuer's metadata (§6.6.1).
 */
export async function receiveOffer(ctx: ConnectorContext, issuerDid: string, credentials: CredentialObject[]): Promise<string> {
  const store = walletIssuanceStore(ctx.database.db);
  const id = `urn:uuid:${crypto.randomUUID()}`;
  const types = trustedTypesOf(ctx, issuerDid);
  const automatic = ctx.config.requestOfferedCredentials && types.length > 0;
  const note = automatic ? undefined : types.length === 0 ? 'the issuer is not a trusted issuer' : 'requestOfferedCredentials is off: the operator decides';
  await store.insertOffer({ id, issuerDid, credentials, status: automatic ? 'received' : 'ignored', ...(note ? { note } : {}) });
  if (automatic) setImmediate(() => void answerOffer(ctx, id, issuerDid, credentials, types));
  return id;
}

/**
 * Offers received but not yet requested when the connector stopped (it answers an offer before requesting
 * its credentials): requested now, so a restart loses none. Called once at start.
 */
export async function resumeOffers(ctx: ConnectorContext): Promise<void> {
  const pending = (await walletIssuanceStore(ctx.database.db).offers()).filter((o) => o.status === 'received');
  for (const offer of pending) {
    const types = trustedTypesOf(ctx, offer.issuerDid);
    if (ctx.config.requestOfferedCredentials && types.length > 0) await answerOffer(ctx, offer.id, offer.issuerDid, offer.credentials as CredentialObject[], types);
  }
}

async function answerOffer(ctx: ConnectorContext, offerId: string, issuerDid: string, offered: CredentialObject[], types: string[]): Promise<void> {
  const store = walletIssuanceStore(ctx.database.db);
  try {
    const sparse = offered.some((o) => o.credentialType === undefined);
    const known = sparse ? await issuerCredentialObjects(ctx, issuerDid) : [];
    const resolved = offered.map((o) => (o.credentialType === undefined ? known.find((k) => k.id === o.id) : o)).filter((o): o is CredentialObject => o !== undefined);
    const wanted = oneFormPerType(resolved.filter((o) => trustedFor(types, o))).map((o) => o.id);
    if (wanted.length === 0) return await store.setOffer(offerId, { status: 'ignored', note: 'no offered credential is of a type the issuer is trusted for here' });
    const { holderPid } = await requestCredentials(ctx, issuerDid, { credentials: wanted, offerId });
    await store.setOffer(offerId, { status: 'requested', holderPid });
  } catch (error) {
    ctx.logger.warn('offered credentials not requested', { issuer: issuerDid, offer: offerId, error: (error as Error).message });
    await store.setOffer(offerId, { status: 'failed', note: (error as Error).message.slice(0, 500) }).catch(() => undefined);
  }
}
