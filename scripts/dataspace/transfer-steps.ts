import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Step } from './steps.ts';
import type { DataspaceState } from './local-dataspace.ts';
import { followTransfer, type TransferView } from '../../connector/cli/transfer-commands.ts';
import { formatBytes } from '../../connector/data-plane/format-bytes.ts';
import { hashFile } from '../../connector/data-plane/payload.ts';
import { auditCommand } from '../../connector/cli/audit-commands.ts';
import { describeReport } from '../../health/report.ts';

const pull: Step<DataspaceState> = {
  title: 'The institute pulls the cohort peer to peer; its connector checks the SHA-256 before completing',
  async run(state) {
    const institute = state.connectors.institute!.api;
    const started = await institute.post<TransferView>('/transfers', { agreementId: state.agreementId, format: 'HttpData-PULL' });
    const done = await followTransfer(institute, started.id, () => undefined, { pollMs: 100, timeoutMs: 120_000, tty: false });
    if (done.state !== 'COMPLETED') throw new Error(`the transfer ended ${done.state}: ${done.reasons.join('; ')}`);
    state.transferId = done.id;
    return `${formatBytes(done.size!)}, sha-256 ${done.digest}\nstored at ${done.receivedPath}`;
  },
};

/** The members of a ustar archive: name and bytes, in archive order. */
function tarMembers(path: string): { name: string; bytes: Buffer }[] {
  const tar = readFileSync(path);
  const members: { name: string; bytes: Buffer }[] = [];
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const name = tar
      .subarray(offset, offset + 100)
      .toString('utf8')
      .replace(/\0.*$/s, '');
    if (!name) break;
    const size = Number.parseInt(
      tar
        .subarray(offset + 124, offset + 136)
        .toString('ascii')
        .replace(/\0.*$/s, '')
        .trim(),
      8,
    );
    members.push({ name, bytes: tar.subarray(offset + 512, offset + 512 + size) });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return members;
}

const tarEntries = (path: string) => tarMembers(path).map((m) => `${m.name} (${formatBytes(m.bytes.length)})`);

const verify: Step<DataspaceState> = {
  title: 'The received archive is byte for byte what the hospital sent',
  async run(state) {
    const received = await state.connectors.institute!.api.get<TransferView>(`/transfers/${encodeURIComponent(state.transferId!)}`);
    // The hospital learns of the completion from the institute's message, a moment after the institute.
    let sent: TransferView | undefined;
    for (let waited = 0; !sent && waited < 10_000; waited += 100) {
      const { transfers } = await state.connectors.hospital!.api.get<{ transfers: TransferView[] }>(
        `/transfers?role=provider&agreementId=${encodeURIComponent(state.agreementId!)}`,
      );
      sent = transfers.find((t) => t.state === 'COMPLETED');
      if (!sent) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!sent) throw new Error('the hospital has not recorded the transfer as completed');
    const hash = createHash('sha256');
    await hashFile(received.receivedPath!, hash);
    const onDisk = hash.digest('base64');
    if (onDisk !== sent.digest || received.digest !== sent.digest)
      throw new Error(`sha-256 differs: hospital sent ${sent.digest}, institute recorded ${received.digest}, file on disk ${onDisk}`);
    return `sha-256 ${onDisk} on both sides\n${tarEntries(received.receivedPath!).join(', ')}`;
  },
};

const releaseReport: Step<DataspaceState> = {
  title: "The hospital released the cohort under the agreement's rules (consent, pseudonyms, shifted dates): the release report",
  async run(state) {
    const received = await state.connectors.institute!.api.get<TransferView>(`/transfers/${encodeURIComponent(state.transferId!)}`);
    const { transfers } = await state.connectors.hospital!.api.get<{ transfers: TransferView[] }>(`/transfers?role=provider&agreementId=${encodeURIComponent(state.agreementId!)}`);
    const sent = transfers.find((t) => t.digest === received.digest);
    if (!received.release) throw new Error('the institute received no release report: the data was not released through the pipeline');
    if (!isDeepStrictEqual(sent?.release, received.release)) throw new Error('the release report the institute received differs from the one the hospital stored');
    return describeReport(received.release);
  },
};

const onlyConsenting: Step<DataspaceState> = {
  title: 'The received cohort holds only consenting patients, under pseudonyms: no source id, name or identifier',
  async run(state) {
    const received = await state.connectors.institute!.api.get<TransferView>(`/transfers/${encodeURIComponent(state.transferId!)}`);
    const members = tarMembers(received.receivedPath!);
    if (members.some((m) => m.name === 'Consent.ndjson')) throw new Error('the archive holds the Consent resources');
    const patients = members
      .find((m) => m.name === 'Patient.ndjson')!
      .bytes.toString('utf8')
      .split('\n')
      .filter(Boolean);
    if (patients.length !== received.release!.patients.released) throw new Error(`${patients.length} patients received, the report says ${received.release!.patients.released}`);
    const archive = readFileSync(received.receivedPath!).toString('utf8');
    const source = readFileSync(join(state.cohortDir!, 'Patient.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    for (const p of source) {
      const values = [p.id, ...(p.identifier ?? []).map((i: { value: string }) => i.value), ...(p.name ?? []).map((n: { family: string }) => n.family)];
      const leaked = values.find((v) => archive.includes(`"${v}"`) || archive.includes(`/${v}"`));
      if (leaked) throw new Error(`a source value of a patient reached the institute: ${leaked.slice(0, 3)}…`);
    }
    return `${patients.length} of ${source.length} patients, e.g. Patient/${JSON.parse(patients[0]!).id}; none of the source's ids, names or identifiers`;
  },
};

function auditVerified(key: 'hospital' | 'institute'): Step<DataspaceState> {
  return {
    title: `hdc audit verify: the ${key}'s audit trail (hash chain and signed checkpoints) is intact`,
    async run(state) {
      const lines: string[] = [];
      const code = await auditCommand(['verify', '--config', state.connectors[key]!.configPath], (line) => lines.push(line));
      if (code !== 0) throw new Error(lines.join('\n'));
      return lines.join('\n');
    },
  };
}

export function transferSteps(): Step<DataspaceState>[] {
  return [pull, verify, releaseReport, onlyConsenting, auditVerified('hospital'), auditVerified('institute')];
}
