import type { CredentialStatusEntry, VerifiableCredential } from '../../contracts/credentials/model.ts';
import { CREDENTIAL_TYPE, issuerId } from '../../contracts/credentials/model.ts';
import { isStatusSet } from '../../contracts/credentials/status-list.ts';
import { verifyCredentialProof } from '../../contracts/credentials/proofs.ts';
import { StatusUnavailableError, type StatusCheck } from '../../contracts/credentials/verifier.ts';
import { checkCredentialDataModel, describeProblems } from '../../contracts/credentials/data-model.ts';
import type { DocumentLoader } from '../../vocab/document-loader.ts';
import { isLoopbackHost } from '../identity/did-web.ts';
import { developmentEgress } from '../egress/connector-egress.ts';
import { readBoundedText } from '../egress/bounded-body.ts';
import { EgressError } from '../egress/egress-error.ts';

/** A Bitstring Status List of the spec's minimum 131,072 entries is 16 KiB compressed; 2 MiB leaves room for large ones. */
const MAX_LIST_BYTES = 2 * 1024 * 1024;

export interface StatusListFetcherOptions {
  documentLoader: DocumentLoader;
  /** How long a verified list is reused; 0 fetches on every check. */
  ttlMs: number;
  allowInsecureHttp?: boolean;
  /** The connector's egress guard (egress/connector-egress.ts); default: the development policy. */
  fetch?: typeof fetch;
}

/**
 * Checks status entries against the issuer's published Bitstring Status List credential: fetched over
 * https (http only for loopback hosts), its proof verified and its issuer required to be the credential's
 * issuer, then cached for a short while. Anything that goes wrong is "cannot verify", never "valid". The list
 * is read with a byte limit while it streams; errors name the list, never quote what its server answered.
 */
export function createStatusChecker(options: StatusListFetcherOptions): StatusCheck & { clear(): void } {
  const cache = new Map<string, { list: VerifiableCredential; until: number }>();
  const fetchFn = options.fetch ?? developmentEgress();

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
      response = await fetchFn(url, {
        headers: { accept: 'application/vc+ld+json, application/json' },
        signal: AbortSignal.timeout(5000),
        redirect: 'error',
        maxResponseBytes: MAX_LIST_BYTES,
      } as RequestInit);
    } catch (error) {
      // The reason reaches peers (a refused presentation): say that, not how the connection failed.
      throw new StatusUnavailableError(
        error instanceof EgressError && (error.code === 'address' || error.code === 'scheme')
          ? `status list ${url} may not be fetched from this connector`
          : `status list ${url} is unreachable`,
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new StatusUnavailableError(`status list ${url} answered HTTP ${response.status}`);
    }
    let text: string;
    try {
      text = await readBoundedText(response, MAX_LIST_BYTES);
    } catch (error) {
      throw new StatusUnavailableError(error instanceof EgressError && error.code === 'tooLarge' ? `status list ${url} is too large` : `status list ${url} could not be read`);
    }
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
