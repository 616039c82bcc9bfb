import type { ConnectorContext } from '../context.ts';
import type { StoredCredential, WalletCredentialStatus } from '../storage/trust-store.ts';
import { decodeJwtCredential } from '../../contracts/credentials/jwt-credentials.ts';
import { asArray, CREDENTIAL_TYPE, issuerId, type VerifiableCredential } from '../../contracts/credentials/model.ts';
import type { Rejection } from '../../contracts/credentials/verifier.ts';

/**
 * Wallet hygiene: the wallet stores only credentials that verify and are about this connector; a newer
 * membership credential from the same issuer supersedes the older one; and before anything is presented
 * it is checked again (validity period and status list, now), so a revoked, suspended, expired or
 * superseded credential is marked as such and never presented. A status that cannot be checked right now
 * keeps the credential out of this presentation without marking it.
 */

/** Types a holder has one of per issuer at a time: a newer one supersedes the older. */
const ONE_PER_ISSUER = new Set<string>([CREDENTIAL_TYPE.participant]);

const MARKS: Partial<Record<Rejection['code'], WalletCredentialStatus>> = { revoked: 'revoked', suspended: 'suspended', expired: 'expired' };

type WalletContext = Pick<ConnectorContext, 'did' | 'wallet' | 'trust' | 'logger'>;

/** The credential as JSON, whichever form it is held in. */
export function credentialView(credential: VerifiableCredential | string): VerifiableCredential | undefined {
  return typeof credential === 'string' ? decodeJwtCredential(credential) : credential;
}

export type Refusal = { id?: string; code: Rejection['code']; message: string };
export type WalletCheck = { credential: VerifiableCredential | string; view: VerifiableCredential; refusal?: undefined } | { refusal: Refusal };

/** Whether a credential (object or compact JWT) may go into the wallet: it verifies, is about this connector, has an id. */
export async function checkForWallet(ctx: WalletContext, credential: VerifiableCredential | string, expectedIssuer?: string): Promise<WalletCheck> {
  const result = await ctx.trust.verifier.verifyCredential(credential, { holder: ctx.did });
  const view = credentialView(credential);
  if (!result.verified) return { refusal: { ...(view?.id ? { id: String(view.id) } : {}), code: result.code, message: result.message } };
  if (!view?.id) return { refusal: { code: 'malformed', message: 'the wallet keeps only credentials with an id' } };
  if (expectedIssuer !== undefined && issuerId(view) !== expectedIssuer)
    return { refusal: { id: String(view.id), code: 'untrusted_issuer', message: `issued by ${issuerId(view)}, not by the sender ${expectedIssuer}` } };
  return { credential, view };
}

/** Stores a checked credential, as issued; a newer membership credential supersedes the issuer's older one. */
export async function storeChecked(ctx: WalletContext, checked: { credential: VerifiableCredential | string; view: VerifiableCredential }): Promise<StoredCredential> {
  const { view, credential } = checked;
  const single = asArray(view.type).filter((t) => ONE_PER_ISSUER.has(t));
  if (single.length > 0) {
    const older = (await ctx.wallet.ofTypes(single)).filter((held) => held.issuer === issuerId(view) && held.id !== view.id);
    await ctx.wallet.mark(
      older.map((held) => held.id),
      'superseded',
    );
  }
  return ctx.wallet.put(view, typeof credential === 'string' ? credential : undefined);
}

export async function verifyAndStore(ctx: WalletContext, credential: VerifiableCredential | string): Promise<{ stored?: StoredCredential; refusal?: Refusal }> {
  const checked = await checkForWallet(ctx, credential);
  return checked.refusal ? { refusal: checked.refusal } : { stored: await storeChecked(ctx, checked) };
}

/**
 * The held credentials that may be presented now: each checked for its validity period and status (its
 * proof was checked when it was stored); what is revoked, suspended or expired is marked in the wallet.
 */
export async function presentableNow(ctx: WalletContext, held: StoredCredential[]): Promise<(VerifiableCredential | string)[]> {
  const checks = await Promise.all(
    held.map(async (h) => ({ held: h, result: await ctx.trust.verifier.verifyCredential(h.credential, { holder: ctx.did, checks: ['validity', 'status'] }) })),
  );
  for (const { held: h, result } of checks) {
    if (result.verified) continue;
    const mark = MARKS[result.code];
    if (mark) await ctx.wallet.mark([h.id], mark);
    ctx.logger.warn('held credential not presented', { id: h.id, code: result.code, ...(mark ? { marked: mark } : {}) });
  }
  return checks.filter((c) => c.result.verified).map((c) => c.held.credential);
}
