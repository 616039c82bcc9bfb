/**
 * Whether a callbackAddress a peer sends belongs to that peer: its origin (scheme, host, port) must be the
 * origin of one of the service endpoints in the peer's DID document. A peer can then only make this
 * connector call back to servers it publishes itself, not to an arbitrary (internal) address. Pure: the
 * caller resolves the DID document.
 *
 * @example
 * if (!callbackBelongsTo(msg.callbackAddress, await ctx.didResolver.resolve(caller.did))) refuse(...);
 */
export function callbackBelongsTo(callbackAddress: string, didDocument: { service?: readonly { serviceEndpoint?: unknown }[] }): boolean {
  const origin = originOf(callbackAddress);
  if (!origin) return false;
  return (didDocument.service ?? []).some((service) => endpoints(service.serviceEndpoint).some((endpoint) => originOf(endpoint) === origin));
}

/** A service endpoint is a URL, a list of them, or a map of them (DID Core). */
function endpoints(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  if (value && typeof value === 'object') return Object.values(value).filter((v): v is string => typeof v === 'string');
  return [];
}

function originOf(address: string): string | undefined {
  try {
    const url = new URL(address);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}
