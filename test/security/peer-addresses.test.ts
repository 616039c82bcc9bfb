import { describe, expect, it } from 'vitest';
import { contractRequestMessage } from '../../contracts/negotiation/messages.ts';
import { HTTP_ENDPOINT_TYPE, transferRequestMessage } from '../../contracts/transfer/messages.ts';
import type { RunningConnector } from '../../connector/server.ts';
import { managementFetch, startTestConnector } from '../support/connectors.ts';
import { jsonOf } from '../support/http.ts';
import { exampleDataset, registerDataset } from '../catalog/support.ts';
import { researchOffer } from '../negotiation/support.ts';
import { startAttacker, startHostileServer, type Attacker } from './attacker.ts';

/** What the hospital answers the attacker's DSP message at `path`. */
async function send(hospital: RunningConnector, attacker: Attacker, path: string, message: unknown) {
  const response = await fetch(`${hospital.url}/dsp/2025-1${path}`, {
    method: 'POST',
    headers: { authorization: await attacker.authorization(hospital.did), 'content-type': 'application/json' },
    body: JSON.stringify(message),
  });
  return { status: response.status, body: await jsonOf(response) };
}

const countOf = async (hospital: RunningConnector, what: 'negotiations' | 'transfers') => (await jsonOf(await managementFetch(hospital, `/${what}`)))[what].length;

describe('callback and push addresses belong to the caller (issue 15, break 3 and item 2)', () => {
  it("an authenticated peer cannot aim the hospital's callbacks or pushes at another server", async () => {
    const hospital = await startTestConnector();
    const { target: _target, ...published } = researchOffer();
    const dataset = exampleDataset(hospital, { offers: [published], requiresApproval: false });
    await registerDataset(hospital, dataset);
    const offer = { ...published, target: dataset.id };
    const attacker = await startAttacker();
    const victim = await startHostileServer((_req, res) => void res.writeHead(200).end()); // an internal service, same host, other port
    const elsewhere = [`${victim.url}/dsp/2025-1`, `${hospital.url}/api`, 'http://127.0.0.1:9/dsp'];

    for (const callbackAddress of elsewhere) {
      const negotiation = await send(
        hospital,
        attacker,
        '/negotiations/request',
        contractRequestMessage({ consumerPid: `urn:uuid:${crypto.randomUUID()}`, offer, callbackAddress }),
      );
      expect(negotiation.status, callbackAddress).toBe(400);
      expect(negotiation.body['@type']).toBe('ContractNegotiationError');
      expect(negotiation.body.reason.join(' ')).toMatch(/not at an origin of the caller's own services/);

      const transfer = await send(
        hospital,
        attacker,
        '/transfers/request',
        transferRequestMessage({ consumerPid: `urn:uuid:${crypto.randomUUID()}`, agreementId: 'urn:uuid:any', format: 'HttpData-PULL', callbackAddress }),
      );
      expect(transfer.status, callbackAddress).toBe(400);
      expect(transfer.body['@type']).toBe('TransferError');
    }
    const push = transferRequestMessage({
      consumerPid: `urn:uuid:${crypto.randomUUID()}`,
      agreementId: 'urn:uuid:any',
      format: 'HttpData-PUSH',
      callbackAddress: `${attacker.url}/dsp/2025-1`,
      dataAddress: {
        '@type': 'DataAddress',
        endpointType: HTTP_ENDPOINT_TYPE,
        endpoint: `${victim.url}/upload`,
        endpointProperties: [{ '@type': 'EndpointProperty', name: 'authorization', value: 'x' }],
      },
    });
    const pushed = await send(hospital, attacker, '/transfers/request', push);
    expect(pushed.status).toBe(400);
    expect(pushed.body.reason.join(' ')).toMatch(/push endpoint is not at an origin of the caller's own services/);

    // Nothing was stored, and nothing reached the other servers.
    expect(await countOf(hospital, 'negotiations')).toBe(0);
    expect(await countOf(hospital, 'transfers')).toBe(0);
    expect(victim.received).toEqual([]);

    // Its own address is accepted.
    const own = await send(
      hospital,
      attacker,
      '/negotiations/request',
      contractRequestMessage({ consumerPid: `urn:uuid:${crypto.randomUUID()}`, offer, callbackAddress: `${attacker.url}/dsp/2025-1` }),
    );
    expect(own.status).toBe(201);
  });
});
