import { describe, expect, it } from 'vitest';
import jsonld from 'jsonld';
import { parseMessage } from '../../../contracts/negotiation/messages.ts';
import { parseTransferMessage } from '../../../contracts/transfer/messages.ts';
import { offlineDocumentLoader } from '../../../vocab/document-loader.ts';
import { CONTEXT } from '../../../vocab/namespaces.ts';

const DSP = CONTEXT.dspace;
const EDC = 'https://w3id.org/edc/dspace/v0.0.1';
const TRACTUSX_AUTH = 'https://w3id.org/tractusx/auth/v1.0.0';
const CATENAX_POLICY = 'https://w3id.org/catenax/2025/9/policy/context.jsonld';

/** A ContractRequestMessage as EDC 0.14 sends it: its own context after DSP's, an odrl: prefixed policy. */
const edcRequest = (context: unknown[]) => ({
  '@context': context,
  '@type': 'ContractRequestMessage',
  '@id': 'urn:uuid:0f2b0c2c-1b1e-4b8e-9d0d-9f6f2b3c4d5e',
  consumerPid: 'urn:uuid:6d1c3d2e-6b33-4b52-8b0a-7e3e8f0d7c11',
  callbackAddress: 'https://edc.example/api/dsp/2025-1',
  offer: {
    '@type': 'Offer',
    '@id': 'Y29udHJhY3QtZGVm:YXNzZXQtMQ==:MTIz',
    target: 'asset-1',
    assigner: 'did:web:provider.example',
    permission: [{ action: 'use', constraint: [{ leftOperand: 'odrl:purpose', operator: 'eq', rightOperand: 'scientific-research' }] }],
  },
});

describe('DSP messages with extension contexts after the DSP context (EDC, Tractus-X)', () => {
  it("reads EDC's message: its context follows DSP's, and the DSP terms mean what DSP says", () => {
    const message = parseMessage('ContractRequestMessage', edcRequest([DSP, EDC]));
    expect(message.consumerPid).toBe('urn:uuid:6d1c3d2e-6b33-4b52-8b0a-7e3e8f0d7c11');
    expect(message.offer['@id']).toBe('Y29udHJhY3QtZGVm:YXNzZXQtMQ==:MTIz');
  });

  it("reads Tractus-X's message: unknown context URLs and inline prefixes, never fetched", () => {
    const message = parseMessage('ContractRequestMessage', edcRequest([DSP, EDC, TRACTUSX_AUTH, CATENAX_POLICY, { 'fx-policy': 'https://w3id.org/factoryx/policy/v1.0/' }]));
    expect(message.callbackAddress).toBe('https://edc.example/api/dsp/2025-1');
    const transfer = parseTransferMessage('TransferRequestMessage', {
      '@context': [DSP, EDC, TRACTUSX_AUTH],
      '@type': 'TransferRequestMessage',
      consumerPid: 'urn:uuid:c1',
      agreementId: 'urn:uuid:a1',
      format: 'HttpData-PULL',
      callbackAddress: 'https://edc.example/api/dsp/2025-1',
    });
    expect(transfer.agreementId).toBe('urn:uuid:a1');
  });

  it('refuses a message whose DSP context is not first, or whose inline context redefines a DSP term', () => {
    expect(() => parseMessage('ContractRequestMessage', edcRequest([EDC, DSP]))).toThrow(/@context must start with/);
    expect(() => parseMessage('ContractRequestMessage', edcRequest([DSP, { odrl: 'https://attacker.example/odrl#' }]))).toThrow(/redefines the protected DSP term\(s\) odrl/);
    // The same definition again is no redefinition.
    expect(parseMessage('ContractRequestMessage', edcRequest([DSP, { odrl: 'http://www.w3.org/ns/odrl/2/' }])).consumerPid).toBeTruthy();
  });

  it("bundles EDC's published context, so an EDC message expands offline", async () => {
    const [expanded] = (await jsonld.expand({ ...edcRequest([DSP, EDC]), isCatalog: true } as never, { documentLoader: offlineDocumentLoader as never })) as Record<
      string,
      unknown
    >[];
    expect(expanded!['https://w3id.org/dspace/2025/1/consumerPid']).toEqual([{ '@id': 'urn:uuid:6d1c3d2e-6b33-4b52-8b0a-7e3e8f0d7c11' }]);
    expect(expanded!['https://w3id.org/edc/v0.0.1/ns/isCatalog']).toEqual([{ '@value': true }]);
  });

  it("bundles Tractus-X's auth and Catena-X's policy contexts, so a Tractus-X message expands offline", async () => {
    const message = { ...edcRequest([DSP, EDC, TRACTUSX_AUTH, CATENAX_POLICY]), refreshToken: 'opaque' };
    const [expanded] = (await jsonld.expand(message as never, { documentLoader: offlineDocumentLoader as never })) as Record<string, unknown>[];
    expect(expanded!['https://w3id.org/dspace/2025/1/consumerPid']).toEqual([{ '@id': 'urn:uuid:6d1c3d2e-6b33-4b52-8b0a-7e3e8f0d7c11' }]);
    expect(expanded!['https://w3id.org/tractusx/auth/refreshToken']).toEqual([{ '@value': 'opaque' }]);
    const odrl = (await offlineDocumentLoader('https://w3id.org/catenax/2025/9/policy/odrl.jsonld')) as { document: { '@context': Record<string, unknown> } };
    expect(odrl.document['@context'].odrl).toBe('http://www.w3.org/ns/odrl/2/');
  });
});
