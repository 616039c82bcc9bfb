import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startConnectorProcess, type ConnectorProcess } from '../../scripts/dataspace/connector-process.ts';
import { freePort } from '../../scripts/bench/load.ts';
import { contractRequestMessage } from '../../contracts/negotiation/messages.ts';
import type { ConnectorConfigInput } from '../../connector/config.ts';
import { tempDir } from '../support/connectors.ts';
import { until } from '../support/wait.ts';
import { exampleDataset } from '../catalog/support.ts';
import { researchOffer } from '../negotiation/support.ts';
import { startAttacker, startHostileServer, type HostileServer } from './attacker.ts';

const SECRET = `INTERNAL-SECRET-${crypto.randomUUID()}`;

/** A hospital in its own process (log in a file) that publishes one offer; returns it and the offer as a consumer sends it. */
async function hospitalWithOffer(config: Partial<ConnectorConfigInput> = {}) {
  const folder = tempDir('hdc-security-');
  const hospital = await startConnectorProcess(folder, {
    name: 'hospital',
    role: 'hospital',
    port: await freePort(),
    dataDir: 'data',
    logLevel: 'debug',
    catalogCrawlIntervalSeconds: 0,
    ...config,
  });
  const { target: _target, ...published } = researchOffer();
  const dataset = exampleDataset({ dataRoot: join(hospital.dataDir, 'datasets') }, { offers: [published], requiresApproval: false });
  await hospital.api.post('/datasets', dataset);
  return { hospital, offer: { ...published, target: dataset.id } };
}

/** An internal service that answers every request with a secret, as an admin API or metadata endpoint would. */
function internalService(host?: string): Promise<HostileServer> {
  return startHostileServer((_req, res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end(`${SECRET} db=postgres://admin:hunter2@10.0.0.7/`), host);
}

/** The attacker asks `hospital` for `offer`, naming `credentialService` in its DID document; resolves with what the hospital sends back. */
async function requestWithCredentialServiceAt(hospital: ConnectorProcess, offer: ReturnType<typeof researchOffer>, credentialService: string) {
  const attacker = await startAttacker({ credentialService });
  const consumerPid = `urn:uuid:${crypto.randomUUID()}`;
  const response = await fetch(`${hospital.url}/dsp/2025-1/negotiations/request`, {
    method: 'POST',
    headers: { authorization: await attacker.authorization(hospital.did, { accessToken: 'attacker-access-token' }), 'content-type': 'application/json' },
    body: JSON.stringify(contractRequestMessage({ consumerPid, offer, callbackAddress: `${attacker.url}/dsp/2025-1` })),
  });
  expect(response.status, await response.clone().text()).toBe(201);
  const termination = await until(
    'the termination sent to the attacker',
    () => attacker.received.find((r) => decodeURIComponent(r.path).endsWith(`${consumerPid}/termination`)),
    Boolean,
    { timeoutMs: 45_000 },
  );
  return termination!;
}

describe('a DID document naming an internal URL as its CredentialService (issue 15, break 2)', () => {
  it('the termination reason and the log carry a fixed reason, never what the internal service answered', async () => {
    const { hospital, offer } = await hospitalWithOffer();
    const internal = await internalService();
    const termination = await requestWithCredentialServiceAt(hospital, offer, `${internal.url}/admin`);
    await hospital.stop();

    expect(termination.body).not.toContain(SECRET);
    expect(termination.body).not.toContain('hunter2');
    expect(JSON.parse(termination.body).reason.join(' ')).toContain('the credential service did not answer with a valid presentation');
    const log = readFileSync(hospital.logPath, 'utf8');
    expect(log).not.toContain(SECRET);
    expect(log).toMatch(/credential request failed.*"status":500/);
  }, 60_000);

  it('a hospital whose egress allows only the dataspace network never contacts the internal address', async () => {
    // 127.0.0.2 stands for an internal host: loopback is refused, only the dataspace's 127.0.0.1 is allowed.
    const { hospital, offer } = await hospitalWithOffer({ egress: { allowLoopback: false, allowAddresses: ['127.0.0.1/32'] } });
    const internal = await internalService('127.0.0.2');
    const termination = await requestWithCredentialServiceAt(hospital, offer, `${internal.url}/admin`);
    await hospital.stop();

    expect(internal.received).toEqual([]);
    expect(termination.body).not.toContain('127.0.0.2');
  }, 60_000);
});
