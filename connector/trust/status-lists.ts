import type { CredentialStatusEntry, VerifiableCredential } from '../../contracts/credentials/model.ts';
import { asArray, CREDENTIAL_TYPE, issuerId } from '../../contracts/credentials/model.ts';
import { isStatusSet } from '../../contracts/credentials/status-list.ts';
import { verifyCredentialProof } from '../../contracts/credentials/proofs.ts';
import { isCompactJwt, openJwtCredential } from '../../contracts/credentials/jwt-credentials.ts';
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
        headers: { accept: 'application/vc+ld+json, application/json, application/vc+jwt, application/jwt' },
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
    // A Data Integrity list credential (JSON), or a JWT one (VC-JWT / VC-JOSE, as EDC and the DCP TCK publish them).
    const jwt = text.trim();
    let list: VerifiableCredential;
    if (isCompactJwt(jwt)) {
      const opened = await openJwtCredential(jwt, options.documentLoader);
      if (!opened.verified) throw new StatusUnavailableError(`status list ${url} has an invalid signature`);
      list = opened.credential;
    } else {
      try {
        list = JSON.parse(text);
      } catch {
        throw new StatusUnavailableError(`status list ${url} is not JSON`);
      }
    }
    const problems = checkCredentialDataModel(list, { versions: ['2.0', '1.1'] });
    if (problems.length > 0) throw new StatusUnavailableError(`status list ${url} is malformed: ${describeProblems(problems)}`);
    if (!asArray(list.type).includes(CREDENTIAL_TYPE.statusList) && !asArray(list.type).includes(CREDENTIAL_TYPE.statusList2021))
      throw new StatusUnavailableError(`${url} is not a BitstringStatusListCredential or StatusList2021Credential`);
    if (issuerId(list) !== issuer) throw new StatusUnavailableError(`status list ${url} is issued by ${issuerId(list)}, not by the credential's issuer ${issuer}`);
    const until = list.validUntil ?? list.expirationDate;
    if (typeof until === 'string' && Date.parse(until) < Date.now()) throw new StatusUnavailableError(`status list ${url} has expired`);
    if (!isCompactJwt(jwt)) {
      const proof = await verifyCredentialProof(list, options.documentLoader);
      if (!proof.verified) throw new StatusUnavailableError(`status list ${url} has an invalid proof`);
    }
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
