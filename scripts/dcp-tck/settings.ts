import type { JsonWebKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseProperties } from '../tck/properties.ts';

/**
 * What the DCP TCK (eclipse-dataspacetck/dcp-tck) reads from its properties (its README §2): the systems
 * under test by DID, the holder's secure token service, the verifier's trigger endpoint, and the TCK's own
 * callback address, where it serves its parties' DID documents, credential service and status list.
 */
export interface DcpTckSettings {
  /** dataspacetck.callback.address: the TCK's own server. */
  callbackAddress: URL;
  /** dataspacetck.did.holder: the credential service under test (presentation.cs, issuance.cs). */
  holderDid: string | undefined;
  /** dataspacetck.did.verifier: the verifier under test (presentation.verifier). */
  verifierDid: string | undefined;
  /** dataspacetck.did.issuer: the issuer service under test (issuance.issuer). */
  issuerDid: string | undefined;
  /** dataspacetck.sts.url (without /token), .client.id, .client.secret: how the TCK gets access tokens for the holder. */
  sts: { url: string; clientId: string; clientSecret: string } | undefined;
  /** dataspacetck.vpp.trigger.endpoint: where the TCK asks the verifier to start a presentation flow. */
  triggerEndpoint: URL;
  /** dataspacetck.credentials.correlation.id: the holderPid of the TCK's CredentialMessages. */
  correlationId: string;
  /** dataspacetck.key.issuer, .key.holder: fixed P-256 private JWKs for the TCK's issuer and holder (else new each run). */
  keys: { issuer?: JsonWebKey; holder?: JsonWebKey };
}

const PREFIX = 'dataspacetck.';

/** The DID the TCK gives one of its own parties (BaseAssembly#parseDid): did:web:<host>%3A<port>:<role>. */
export function tckDid(callbackAddress: URL, role: 'holder' | 'verifier' | 'issuer' | 'thirdparty'): string {
  const port = callbackAddress.port || (callbackAddress.protocol === 'https:' ? '443' : '80');
  return port === '443' ? `did:web:${callbackAddress.hostname}:${role}` : `did:web:${callbackAddress.hostname}%3A${port}:${role}`;
}

function jwk(value: string | undefined, key: 'key.issuer' | 'key.holder'): Record<string, JsonWebKey> {
  if (!value) return {};
  const parsed = JSON.parse(value) as JsonWebKey;
  if (parsed.kty !== 'EC' || parsed.crv !== 'P-256' || !parsed.d) throw new Error(`dataspacetck.${key} must be a P-256 private key as a JWK`);
  return { [key.slice(4)]: parsed };
}

export function dcpTckSettings(properties: Map<string, string>): DcpTckSettings {
  const get = (key: string) => properties.get(PREFIX + key)?.trim() || undefined;
  const callbackAddress = new URL(get('callback.address') ?? 'http://localhost:8083');
  const stsUrl = get('sts.url');
  const [clientId, clientSecret] = [get('sts.client.id'), get('sts.client.secret')];
  if (stsUrl && (!clientId || !clientSecret)) throw new Error('dataspacetck.sts.url needs dataspacetck.sts.client.id and .client.secret');
  return {
    callbackAddress,
    holderDid: get('did.holder'),
    verifierDid: get('did.verifier'),
    issuerDid: get('did.issuer'),
    sts: stsUrl ? { url: stsUrl.replace(/\/+$/, ''), clientId: clientId!, clientSecret: clientSecret! } : undefined,
    triggerEndpoint: new URL(get('vpp.trigger.endpoint') ?? `${callbackAddress.origin}/api/trigger`),
    correlationId: get('credentials.correlation.id') ?? crypto.randomUUID(),
    keys: { ...jwk(get('key.issuer'), 'key.issuer'), ...jwk(get('key.holder'), 'key.holder') },
  };
}

export function loadDcpTckSettings(file: string): DcpTckSettings {
  return dcpTckSettings(parseProperties(readFileSync(file, 'utf8')));
}
