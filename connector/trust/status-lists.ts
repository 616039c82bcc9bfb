import type { CredentialStatusEntry, VerifiableCredential } from '../../contracts/credentials/model.ts';
import { CREDENTIAL_TYPE, issuerId } from '../../contracts/credentials/model.ts';
import { isStatusSet } from '../../contracts/credentials/status-list.ts';
import { verifyCredentialProof } from '../../contracts/credentials/proofs.ts';
import { StatusUnavailableError, type StatusCheck } from '../../contracts/credentials/verifier.ts';
import { checkCredentialDataModel, describeProblems } from '../../contracts/credentials/data-model.ts';
import type { DocumentLoader } from '../../vocab/document-loader.ts';
import { isLoopbackHost } from '../identity/did-web.ts';

const MAX_LIST_BYTES = 2 * 1024 * 1024;

export interface StatusListFetcherOptions {
  documentLoader: DocumentLoader;
  /** How long a verified list is reused; 0 fetches on every check. */
  ttlMs: number;
  allowInsecureHttp?: boolean;
  fetch?: typeof fetch;
}

/**
 * Checks status entries against the issuer's published Bitstring Status List credential: fetched over
 * https (http only for loopback hosts), its proof verified and its issuer required to be the credential's
 * issuer, then cached for a short while. Anything that goes wrong is "cannot verify", never "valid".
 */
export function createStatusChecker(options: StatusListFetcherOptions): StatusCheck & { clear(): void } {
  const cache = new Map<string, { list: VerifiableCredential; until: number }>();
  const fetchFn = options.fetch ?? fetch;

  async function load(url: string, issuer: string): Promise<VerifiableCredential> {
    const cached = cache.get(url);
    if (cached && cached.until > Date.now() && issuerId(cached.list) === issuer) return cached.list;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new StatusUnavailableError(`status list URL "${url}" is not a URL`);
    }
    if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && (isLoopbackHost(parsed.hostname) || options.allowInsecureHttp))) {
      throw new StatusUnavailableError(`status list ${url} must be served over https`);
    }
    let response: Response;
    try {
      response = await fetchFn(url, { headers: { accept: 'application/vc+ld+json, application/json' }, signal: AbortSignal.timeout(5000), redirect: 'error' });
    } catch (error) {
      throw new StatusUnavailableError(`status list ${url} is unreachable (${(error as Error).message})`);
    }
    if (!response.ok) throw new StatusUnavailableError(`status list ${url} answered HTTP ${response.status}`);
    const text = await response.text();
    if (text.length > MAX_LIST_BYTES) throw new StatusUnavailableError(`status list ${url} is too large`);
    let list: VerifiableCredential;
    try {
      list = JSON.parse(text);
    } catch {
      throw new StatusUnavailableError(`status list ${url} is not JSON`);
    }
    const problems = checkCredentialDataModel(list);
    if (problems.length > 0) throw new StatusUnavailableError(`status list ${url} is malformed: ${describeProblems(problems)}`);
    if (!list.type.includes(CREDENTIAL_TYPE.statusList)) throw new StatusUnavailableError(`${url} is not a BitstringStatusListCredential`);
    if (issuerId(list) !== issuer) throw new StatusUnavailableError(`status list ${url} is issued by ${issuerId(list)}, not by the credential's issuer ${issuer}`);
    if (list.validUntil && Date.parse(list.validUntil) < Date.now()) throw new StatusUnavailableError(`status list ${url} has expired`);
    const proof = await verifyCredentialProof(list, options.documentLoader);
    if (!proof.verified) throw new StatusUnavailableError(`status list ${url} has an invalid proof`);
    if (options.ttlMs > 0) cache.set(url, { list, until: Date.now() + options.ttlMs });
    return list;
  }

  const check = async (entry: CredentialStatusEntry, issuer: string): Promise<'set' | 'unset'> => {
    const list = await load(entry.statusListCredential, issuer);
    try {
      return isStatusSet(list, entry) ? 'set' : 'unset';
    } catch (error) {
      throw new StatusUnavailableError((error as Error).message);
    }
  };
  return Object.assign(check, { clear: () => cache.clear() });
}
