import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { isAddressAllowed, isIpAddress, type AddressPolicy } from './address-policy.ts';
import { limitBody } from './bounded-body.ts';
import { EgressError } from './egress-error.ts';

export { EgressError } from './egress-error.ts';

export interface EgressOptions extends Partial<AddressPolicy> {
  /** Plain http (otherwise https only): development, or a private network behind its own TLS. Default false. */
  allowHttp?: boolean;
  /** Redirects followed, each hop checked like the first. Default 3. */
  maxRedirects?: number;
  /** Time to establish a connection (TCP and TLS). Default 5 s. */
  connectTimeoutMs?: number;
  /** Time for the whole exchange, headers and body. Default 30 s; a request's `timeoutMs` overrides it (Infinity: none). */
  timeoutMs?: number;
  /** Response bodies longer than this are cut off with an error. Default 4 MiB; `maxResponseBytes` per request. */
  maxResponseBytes?: number;
}

/** RequestInit plus the two limits a caller may tighten (or, for bulk data, lift) per request. */
export interface EgressInit extends RequestInit {
  timeoutMs?: number;
  maxResponseBytes?: number;
}

export interface EgressFetch {
  (input: string | URL | Request, init?: EgressInit): Promise<Response>;
  /**
   * For Node streams (`http.request`): throws EgressError unless `url` may be requested; pass `lookup` in the
   * request options so the host's addresses are checked and pinned as they are for fetch.
   */
  check(url: string | URL): URL;
  /** A dns lookup that refuses (with an EgressError) any host with an address the policy forbids. */
  readonly lookup: LookupFunction;
  readonly policy: Readonly<Required<Pick<EgressOptions, 'allowHttp' | 'allowLoopback' | 'allowPrivate'>>> & { allowAddresses: readonly string[] };
  close(): Promise<void>;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/**
 * The one way this connector talks to the outside: a fetch that only reaches allowed schemes and addresses.
 * Host names are resolved once and every address checked in the connection's own lookup, so the socket
 * connects to exactly what was checked (no DNS rebinding between check and connect). Redirects are followed
 * by hand, each hop checked again; credentials never follow a redirect to another origin. Bodies are cut off
 * while streaming once over the limit, and every exchange has a connect and a total timeout.
 *
 * @example
 * const egress = createEgressGuard({ allowLoopback: true, allowHttp: true }); // development
 * const response = await egress('https://hospital.example/.well-known/did.json', { maxResponseBytes: 64 * 1024 });
 */
export function createEgressGuard(options: EgressOptions = {}): EgressFetch {
  const policy = {
    allowHttp: options.allowHttp ?? false,
    allowLoopback: options.allowLoopback ?? false,
    allowPrivate: options.allowPrivate ?? false,
    allowAddresses: options.allowAddresses ?? [],
  };
  const maxRedirects = options.maxRedirects ?? 3;

  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    dnsLookup(hostname, { ...lookupOptions, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const refused = addresses.find((a) => !isAddressAllowed(a.address, policy));
      if (refused || addresses.length === 0) return callback(new EgressError('address', `${hostname} resolves to an address this connector may not reach`), '', 0);
      if (lookupOptions.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
  const agent = new Agent({ connect: { lookup, timeout: options.connectTimeoutMs ?? 5000 } });

  function check(input: string | URL): URL {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      throw new EgressError('scheme', 'the address is not a URL');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && policy.allowHttp)) throw new EgressError('scheme', `${url.protocol} addresses may not be requested`);
    if (url.username || url.password) throw new EgressError('scheme', 'addresses with credentials may not be requested');
    if (isIpAddress(url.hostname) && !isAddressAllowed(url.hostname, policy)) throw new EgressError('address', `${url.host} is an address this connector may not reach`);
    return url;
  }

  async function hop(url: URL, init: RequestInit, signal: AbortSignal): Promise<Response> {
    try {
      return (await undiciFetch(url, { ...init, redirect: 'manual', signal, dispatcher: agent } as Parameters<typeof undiciFetch>[1])) as unknown as Response;
    } catch (error) {
      throw egressFailure(error, signal);
    }
  }

  const guarded = async (input: string | URL | Request, init: EgressInit = {}): Promise<Response> => {
    if (input instanceof Request)
      return guarded(input.url, { method: input.method, headers: input.headers, body: input.body ? await input.arrayBuffer() : undefined, signal: input.signal, ...init });
    const { timeoutMs, maxResponseBytes, redirect = 'follow', ...rest } = init;
    const limitMs = timeoutMs ?? options.timeoutMs ?? 30_000;
    // Bulk transfers may lift the total timeout (Infinity); the connect timeout still applies.
    const signals = [rest.signal, Number.isFinite(limitMs) ? AbortSignal.timeout(limitMs) : undefined].filter((s): s is AbortSignal => !!s);
    const signal = AbortSignal.any(signals);
    let url = check(input);
    let request: RequestInit = rest;
    for (let redirects = 0; ; redirects++) {
      const response = await hop(url, request, signal);
      const location = response.headers.get('location');
      if (!REDIRECT_STATUSES.has(response.status) || !location || redirect === 'manual') {
        return bounded(response, maxResponseBytes ?? options.maxResponseBytes ?? 4 * 1024 * 1024, signal);
      }
      await response.body?.cancel();
      if (redirect === 'error') throw new EgressError('redirect', `the server redirected (HTTP ${response.status}) where no redirect is accepted`);
      if (redirects >= maxRedirects) throw new EgressError('redirect', `more than ${maxRedirects} redirects`);
      const next = check(new URL(location, url));
      request = redirected(request, response.status, next.origin !== url.origin);
      url = next;
    }
  };
  return Object.assign(guarded, { check, lookup, policy, close: () => agent.close() });
}

/** The request for the next hop: 303 (and 301/302 after POST) become a GET; credentials stay with their origin. */
function redirected(request: RequestInit, status: number, crossOrigin: boolean): RequestInit {
  const headers = new Headers(request.headers);
  if (crossOrigin) for (const name of ['authorization', 'cookie', 'proxy-authorization']) headers.delete(name);
  const toGet = status === 303 || ((status === 301 || status === 302) && request.method === 'POST');
  if (!toGet) return { ...request, headers };
  headers.delete('content-type');
  return { ...request, method: 'GET', body: undefined, headers };
}

/** The response with a body that errors (and stops reading) once it passes `maxBytes`. */
function bounded(response: Response, maxBytes: number, signal: AbortSignal): Response {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    void response.body?.cancel();
    throw new EgressError('tooLarge', `the answer announces ${declared} bytes, more than the ${maxBytes} accepted`);
  }
  const body = NULL_BODY_STATUSES.has(response.status) || !response.body ? null : limitBody(response.body, maxBytes, signal);
  const limited = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  Object.defineProperty(limited, 'url', { value: response.url });
  return limited;
}

function egressFailure(error: unknown, signal: AbortSignal): Error {
  if (signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError') return new EgressError('timeout', 'no answer in time');
  let cause: unknown = error;
  while (cause instanceof Error) {
    if (cause instanceof EgressError) return cause;
    cause = (cause as { cause?: unknown }).cause;
  }
  if (error instanceof Error && error.name === 'AbortError') return error;
  const code = (error as { cause?: { code?: string } }).cause?.code;
  return new EgressError('unreachable', code ? `cannot connect (${code})` : 'cannot connect');
}
