import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { didWebFromUrl } from '../../connector/identity/did-web.ts';
import type { ConnectorConfigInput, ParticipantRole } from '../../connector/config.ts';
import { startConnectorProcess, type ConnectorProcess } from './connector-process.ts';
import { runSteps, StepFailed, type Step } from './steps.ts';
import { writeDiabetesCohort } from '../synthetic/write-cohort.ts';
import { trustSteps } from './trust-steps.ts';
import { contractSteps } from './contract-steps.ts';
import { transferSteps } from './transfer-steps.ts';
import { dspAddressOf } from '../../connector/http/dsp-path.ts';

/**
 * `npm run dataspace`: a governance authority, a hospital and a research institute on loopback ports,
 * each its own process with its own data directory and SQLite file, taken through the dataspace flow
 * step by step. With --once it exits after the flow: 0 when every step passed, 1 naming the step that failed.
 */

const USAGE = `Usage: npm run dataspace [-- --once] [--base-port 8700] [--dir .data/dataspace] [--patients 3000]`;

interface Participant {
  key: 'authority' | 'hospital' | 'institute';
  name: string;
  role: ParticipantRole;
  offset: number;
}

const PARTICIPANTS: Participant[] = [
  { key: 'authority', name: 'Luxembourg Health Data Access Body', role: 'governance-authority', offset: 0 },
  { key: 'hospital', name: 'Centre Hospitalier Example', role: 'hospital', offset: 1 },
  { key: 'institute', name: 'Research Institute Example', role: 'research-institute', offset: 2 },
];

export interface DataspaceState {
  dir: string;
  basePort: number;
  patients: number;
  connectors: Partial<Record<Participant['key'], ConnectorProcess>>;
  cohortDir?: string;
  datasetId?: string;
  agreementId?: string;
  transferId?: string;
}

function configFor(p: Participant, basePort: number): ConnectorConfigInput & { port: number } {
  const url = (offset: number) => `http://127.0.0.1:${basePort + offset}`;
  const authorityDid = didWebFromUrl(url(0));
  const others = PARTICIPANTS.filter((o) => o.key !== p.key && o.key !== 'authority');
  return {
    name: p.name,
    role: p.role,
    port: basePort + p.offset,
    dataDir: 'data',
    logLevel: 'info',
    trustedIssuers: [{ did: authorityDid, credentialTypes: ['ParticipantCredential', 'DataPermitCredential'] }],
    peers: p.key === 'authority' ? [] : others.map((o) => ({ name: o.name, did: didWebFromUrl(url(o.offset)), dspAddress: dspAddressOf(url(o.offset)) })),
  };
}

function startStep(p: Participant): Step<DataspaceState> {
  return {
    title: `Start the ${p.role.replace('-', ' ')} "${p.name}"`,
    async run(state) {
      const connector = await startConnectorProcess(join(state.dir, p.key), configFor(p, state.basePort), { ...process.env, DATABASE_URL: '' });
      state.connectors[p.key] = connector;
      return `${connector.did} at ${connector.url}`;
    },
  };
}

const resolveEachOther: Step<DataspaceState> = {
  title: 'Every connector serves the DID document of its URL',
  async run(state) {
    const all = Object.values(state.connectors);
    for (const connector of all) {
      const response = await fetch(`${connector.url}/.well-known/did.json`);
      const doc = (await response.json()) as { id?: string };
      if (doc.id !== connector.did) throw new Error(`${connector.name} serves a DID document for ${doc.id}, expected ${connector.did}`);
      if (didWebFromUrl(connector.url) !== connector.did) throw new Error(`${connector.name}'s DID does not match its URL`);
    }
    return `${all.length} DID documents`;
  },
};

const generateCohort: Step<DataspaceState> = {
  title: 'The hospital prepares a synthetic diabetes cohort (FHIR R4 NDJSON) in its data root',
  async run(state) {
    const hospital = state.connectors.hospital!;
    state.cohortDir = join(hospital.dataDir, 'datasets', 'diabetes-cohort');
    const counts = await writeDiabetesCohort(state.cohortDir, { patients: state.patients, seed: 20261122 });
    return Object.entries(counts)
      .map(([type, n]) => `${n} ${type}`)
      .join(', ');
  },
};

export function dataspaceSteps(): Step<DataspaceState>[] {
  return [...PARTICIPANTS.map(startStep), resolveEachOther, ...trustSteps(), generateCohort, ...contractSteps(), ...transferSteps()];
}

async function stopAll(state: DataspaceState) {
  await Promise.all(Object.values(state.connectors).map((c) => c.stop()));
}

function printWhereTo(state: DataspaceState) {
  console.log('\nThe dataspace is running:');
  for (const p of PARTICIPANTS) {
    const c = state.connectors[p.key];
    if (!c) continue;
    console.log(
      `  ${p.name} (${p.role})\n    ${c.url}  DID ${c.did}\n    management API ${c.url}/api (OpenAPI: ${c.url}/api/openapi.json)\n    hdc identity --config ${c.configPath}\n    log ${c.logPath}`,
    );
  }
  console.log('\nPress Ctrl-C to stop.');
}

function parseOptions() {
  const options = {
    once: { type: 'boolean' },
    'base-port': { type: 'string', default: '8700' },
    dir: { type: 'string', default: '.data/dataspace' },
    patients: { type: 'string', default: '3000' },
  } as const;
  return parseArgs({ options }).values;
}

async function main(): Promise<number> {
  let values: ReturnType<typeof parseOptions>;
  try {
    values = parseOptions();
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const basePort = Number(values['base-port']);
  const patients = Number(values.patients);
  if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65533 || !Number.isInteger(patients) || patients < 1) {
    console.error(USAGE);
    return 2;
  }
  const state: DataspaceState = { dir: resolve(values.dir), basePort, patients, connectors: {} };
  rmSync(state.dir, { recursive: true, force: true });
  console.log(`Local health dataspace in ${state.dir}\n`);
  const stopping = new Promise<void>((resolveStop) => {
    process.once('SIGINT', resolveStop);
    process.once('SIGTERM', resolveStop);
  });
  try {
    await runSteps(dataspaceSteps(), state);
  } catch (error) {
    await stopAll(state);
    console.error(`\n${error instanceof StepFailed ? error.message : `Unexpected failure: ${(error as Error).message}`}`);
    return 1;
  }
  if (values.once) {
    await stopAll(state);
    console.log('\nEvery step succeeded.');
    return 0;
  }
  printWhereTo(state);
  await stopping;
  await stopAll(state);
  return 0;
}

if (import.meta.main) process.exit(await main());
