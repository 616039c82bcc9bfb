import { Resolver, type DIDCache, type DIDDocument, type DIDResolutionResult, type ParsedDID, type VerificationMethod } from 'did-resolver';
import { CONTEXT } from '../../vocab/namespaces.ts';
import { didWebDocumentUrl, InvalidDidError } from './did-web.ts';
import { developmentEgress } from '../egress/connector-egress.ts';
import { readBoundedText } from '../egress/bounded-body.ts';
import { EgressError } from '../egress/egress-error.ts';
import { isKeyDid, keyDidDocument } from './did-key.ts';

/**
 * did:web resolution on did-resolver's interface, with a fetch we control (the connector's egress guard):
 * http only for loopback hosts (or when allowed explicitly), a timeout, a size limit enforced while the
 * document streams, validation of what comes back, and a TTL cache of successful resolutions. Failures
 * become DidResolutionError with a reason for our own log; it never quotes what the server answered, and
 * peers are told only that resolution failed (see trust/caller-auth.ts).
 */

export type VerificationRelationship = 'authentication' | 'assertionMethod' | 'capabilityInvocation';

export type DidErrorCode = 'invalidDid' | 'notFound' | 'unreachable' | 'invalidDidDocument' | 'methodNotSupported';

export class DidResolutionError extends Error {
  override name = 'DidResolutionError';
  readonly did: string;
  readonly code: DidErrorCode;
  constructor(did: string, code: DidErrorCode, message: string) {
    super(message);
    this.did = did;
    this.code = code;
  }
}

export interface DidResolverOptions {
  /** The connector's egress guard (egress/connector-egress.ts); default: the development policy. */
  fetch?: typeof fetch;
  allowInsecureHttp?: boolean;
  /** How long a resolved document is reused; 0 disables the cache. */
  ttlMs?: number;
  timeoutMs?: number;
  now?: () => number;
}

export interface DidResolverService {
  /** The DID document of `did`; throws DidResolutionError. */
  resolve(did: string): Promise<DIDDocument>;
  /** A DID (its document) or a DID URL with a fragment (that verification method, with its JSON-LD context). */
  dereference(didUrl: string): Promise<Record<string, unknown>>;
  /** The verification method `didUrl` names, checked to be listed under `relationship` (e.g. assertionMethod). */
  verificationMethod(didUrl: string, relationship?: VerificationRelationship | VerificationRelationship[]): Promise<VerificationMethod>;
  /** The underlying did-resolver instance, for libraries that take a Resolvable. */
  readonly resolver: Resolver;
  clearCache(): void;
}

/** DID documents are a few keys and service entries; 64 KiB is generous. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;

function failure(code: DidErrorCode, message: string): DIDResolutionResult {
  return { didResolutionMetadata: { error: code, message }, didDocument: null, didDocumentMetadata: {} };
}

function webResolver(options: DidResolverOptions) {
  const fetchFn = options.fetch ?? developmentEgress();
  const timeoutMs = options.timeoutMs ?? 5000;
  return async (did: string, _parsed: ParsedDID): Promise<DIDResolutionResult> => {
    let url: URL;
    try {
      url = didWebDocumentUrl(did, { allowInsecureHttp: options.allowInsecureHttp });
    } catch (error) {
      if (error instanceof InvalidDidError) return failure('invalidDid', error.message);
      throw error;
    }
    let response: Response;
    try {
      response = await fetchFn(url, {
        headers: { accept: 'application/did+json, application/json' },
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
        maxResponseBytes: MAX_DOCUMENT_BYTES,
      } as RequestInit);
    } catch (error) {
      return failure('unreachable', `Cannot reach ${url.href} to resolve ${did}: ${fetchFailure(error, timeoutMs)}`);
    }
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      return failure('notFound', `${url.href} answered ${response.status}: no DID document for ${did}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      return failure('unreachable', `${url.href} answered ${response.status} while resolving ${did}`);
    }
    let text: string;
    try {
      text = await readBoundedText(response, MAX_DOCUMENT_BYTES);
    } catch (error) {
      if (error instanceof EgressError && error.code === 'tooLarge') return failure('invalidDidDocument', `The DID document of ${did} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
      return failure('unreachable', `Cannot read the DID document of ${did}: ${fetchFailure(error, timeoutMs)}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      return failure('invalidDidDocument', `The DID document at ${url.href} is not valid JSON`);
    }
    const problem = checkDidDocument(did, doc);
    if (problem) return failure('invalidDidDocument', `The DID document at ${url.href} is malformed: ${problem}`);
    return { didResolutionMetadata: { contentType: 'application/did+json' }, didDocument: doc as DIDDocument, didDocumentMetadata: {} };
  };
}

/** A short description of a failed request for our log: the egress guard's reason or the socket error code. */
function fetchFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof EgressError) return error.message;
  if ((error as Error).name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' ? code : 'the request failed';
}

/** The structural checks a DID document must pass before anything trusts a key in it. */
export function checkDidDocument(did: string, doc: unknown): string | undefined {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'it is not a JSON object';
  const d = doc as Record<string, unknown>;
  if (d.id !== did) return `its id is ${String(JSON.stringify(d.id)).slice(0, 100)}, expected ${did}`;
  const methods = d.verificationMethod ?? [];
  if (!Array.isArray(methods)) return 'verificationMethod is not an array';
  for (const [i, vm] of methods.entries()) {
    if (typeof vm !== 'object' || vm === null) return `verificationMethod[${i}] is not an object`;
    const m = vm as Record<string, unknown>;
    if (typeof m.id !== 'string' || typeof m.type !== 'string' || typeof m.controller !== 'string') {
      return `verificationMethod[${i}] needs id, type and controller strings`;
    }
    if (m.type === 'Multikey' && typeof m.publicKeyMultibase !== 'string') return `verificationMethod[${i}] has no publicKeyMultibase`;
    if ((m.type === 'JsonWebKey2020' || m.type === 'JsonWebKey') && (typeof m.publicKeyJwk !== 'object' || m.publicKeyJwk === null || 'd' in m.publicKeyJwk))
      return `verificationMethod[${i}] needs a public publicKeyJwk`;
  }
  for (const relationship of ['authentication', 'assertionMethod', 'capabilityInvocation'] as const) {
    if (d[relationship] !== undefined && !Array.isArray(d[relationship])) return `${relationship} is not an array`;
  }
  return undefined;
}

/** Caches successful resolutions for `ttlMs`; failures are never cached, so a peer that comes back is seen at once. */
function ttlCache(ttlMs: number, now: () => number): { cache: DIDCache; clear: () => void } {
  const entries = new Map<string, { expires: number; result: DIDResolutionResult }>();
  const cache: DIDCache = async (parsed, resolve, options) => {
    if (ttlMs <= 0 || options?.noCache) return resolve();
    const hit = entries.get(parsed.did);
    if (hit && hit.expires > now()) return hit.result;
    const result = await resolve();
    if (result.didDocument) entries.set(parsed.did, { expires: now() + ttlMs, result });
    else entries.delete(parsed.did);
    return result;
  };
  return { cache, clear: () => entries.clear() };
}

function absoluteId(did: string, id: string): string {
  return id.startsWith('#') ? did + id : id;
}

export function createDidResolver(options: DidResolverOptions = {}): DidResolverService {
  const { cache, clear } = ttlCache(options.ttlMs ?? 300_000, options.now ?? Date.now);
  const resolver = new Resolver({ web: webResolver(options) }, { cache });

  async function resolve(did: string): Promise<DIDDocument> {
    if (!did.startsWith('did:')) throw new DidResolutionError(did, 'invalidDid', `"${did}" is not a DID`);
    if (isKeyDid(did)) return keyDidDocument(did, (message) => new DidResolutionError(did, 'invalidDid', message));
    if (!did.startsWith('did:web:')) {
      throw new DidResolutionError(did, 'methodNotSupported', `Cannot resolve ${did}: only did:web is supported`);
    }
    const result = await resolver.resolve(did);
    const { error, message } = result.didResolutionMetadata;
    if (error || !result.didDocument) {
      const code = (error === 'invalidDid' || error === 'notFound' || error === 'unreachable' || error === 'invalidDidDocument' ? error : 'unreachable') as DidErrorCode;
      throw new DidResolutionError(did, code, String(message ?? `Cannot resolve ${did}: ${error}`));
    }
    return result.didDocument;
  }

  async function verificationMethod(didUrl: string, relationship?: VerificationRelationship | VerificationRelationship[]) {
    const [did, fragment] = didUrl.split('#', 2) as [string, string | undefined];
    if (!fragment) throw new DidResolutionError(didUrl, 'invalidDid', `"${didUrl}" names no verification method (no #fragment)`);
    const doc = await resolve(did);
    const vm = (doc.verificationMethod ?? []).find((m) => absoluteId(did, m.id) === didUrl);
    if (!vm) throw new DidResolutionError(didUrl, 'notFound', `The DID document of ${did} has no verification method ${didUrl}`);
    if (relationship) {
      const relationships = Array.isArray(relationship) ? relationship : [relationship];
      const listed = relationships.some((r) => (doc[r] ?? []).some((entry) => absoluteId(did, typeof entry === 'string' ? entry : entry.id) === didUrl));
      if (!listed) throw new DidResolutionError(didUrl, 'notFound', `${didUrl} is not listed under ${relationships.join(' or ')} in the DID document of ${did}`);
    }
    return { ...vm, id: didUrl, controller: absoluteId(did, vm.controller) };
  }

  async function dereference(didUrl: string): Promise<Record<string, unknown>> {
    if (!didUrl.includes('#')) return (await resolve(didUrl)) as Record<string, unknown>;
    const vm = await verificationMethod(didUrl);
    return { '@context': vm.type === 'Multikey' ? CONTEXT.multikeyV1 : CONTEXT.didV1, ...vm };
  }

  return { resolve, dereference, verificationMethod, resolver, clearCache: clear };
}
