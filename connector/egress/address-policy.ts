import ipaddr from 'ipaddr.js';

/**
 * Which IP addresses an outbound request may reach. Only public unicast addresses are reachable by default;
 * loopback and private networks only when the configuration says so; link-local (cloud metadata at
 * 169.254.169.254), multicast, broadcast, unspecified and reserved ranges never. IPv6 forms that embed an
 * IPv4 address (mapped, compatible, NAT64, 6to4) are judged by the IPv4 address they carry.
 */
export type AddressClass = 'public' | 'loopback' | 'private' | 'special';

export interface AddressPolicy {
  /** 127.0.0.0/8 and ::1: the development mode (local dataspace, tests). */
  allowLoopback: boolean;
  /** RFC 1918, carrier-grade NAT (100.64/10) and IPv6 unique-local (fc00::/7) networks. */
  allowPrivate: boolean;
  /** Extra CIDR ranges (or single addresses) reachable whatever their class, e.g. a partner's private subnet. */
  allowAddresses?: readonly string[];
}

const IPV4_CLASS: Record<string, AddressClass> = { unicast: 'public', loopback: 'loopback', private: 'private', carrierGradeNat: 'private' };
const IPV6_CLASS: Record<string, AddressClass> = { unicast: 'public', loopback: 'loopback', uniqueLocal: 'private' };

/** The IPv4 address an IPv6 address carries, for the forms that route to it; undefined for plain IPv6. */
function embeddedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const bytes = address.toByteArray();
  const ipv4At = (offset: number) => new ipaddr.IPv4(bytes.slice(offset, offset + 4));
  switch (address.range()) {
    case 'ipv4Mapped':
      return address.toIPv4Address();
    case 'rfc6052': // NAT64, 64:ff9b::/96 and the local-use 64:ff9b:1::/48
      return ipv4At(12);
    case '6to4':
      return ipv4At(2);
  }
  // IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks); :: and ::1 are themselves.
  if (bytes.slice(0, 12).every((b) => b === 0) && !(bytes[12] === 0 && bytes[13] === 0 && bytes[14] === 0 && (bytes[15] ?? 0) <= 1)) return ipv4At(12);
  return undefined;
}

/** public, loopback, private or special (never reachable); throws on text that is not an IP address. */
export function classifyAddress(text: string): AddressClass {
  const address = ipaddr.parse(text.replace(/^\[|\]$/g, ''));
  if (address.kind() === 'ipv4') return IPV4_CLASS[address.range()] ?? 'special';
  const v6 = address as ipaddr.IPv6;
  if (v6.zoneId) return 'special';
  const ipv4 = embeddedIpv4(v6);
  if (ipv4) return IPV4_CLASS[ipv4.range()] ?? 'special';
  return IPV6_CLASS[v6.range()] ?? 'special';
}

export function isIpAddress(text: string): boolean {
  return ipaddr.isValid(text.replace(/^\[|\]$/g, ''));
}

function inAllowedRanges(text: string, ranges: readonly string[]): boolean {
  if (ranges.length === 0) return false;
  const parsed = ipaddr.process(text.replace(/^\[|\]$/g, ''));
  return ranges.some((range) => {
    const [network, bits] = range.includes('/') ? ipaddr.parseCIDR(range) : [ipaddr.process(range), range.includes(':') ? 128 : 32];
    const candidate = network.kind() === 'ipv4' && parsed.kind() === 'ipv6' ? undefined : parsed;
    return candidate !== undefined && candidate.kind() === network.kind() && candidate.match(network, bits);
  });
}

/** Whether `address` (an IP literal) may be connected to under `policy`. */
export function isAddressAllowed(address: string, policy: AddressPolicy): boolean {
  if (!isIpAddress(address)) return false;
  if (inAllowedRanges(address, policy.allowAddresses ?? [])) return true;
  switch (classifyAddress(address)) {
    case 'public':
      return true;
    case 'loopback':
      return policy.allowLoopback;
    case 'private':
      return policy.allowPrivate;
    default:
      return false;
  }
}

/** A readable problem for a range the configuration names that is not an address or CIDR range; undefined if fine. */
export function checkAddressRange(range: string): string | undefined {
  try {
    if (range.includes('/')) ipaddr.parseCIDR(range);
    else ipaddr.parse(range);
    return undefined;
  } catch {
    return `"${range}" is not an IP address or CIDR range`;
  }
}
