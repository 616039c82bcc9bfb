import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Step } from './steps.ts';
import type { DataspaceState } from './local-dataspace.ts';
import { followTransfer, type TransferView } from '../../connector/cli/transfer-commands.ts';
import { formatBytes } from '../../connector/data-plane/format-bytes.ts';
import { hashFile } from '../../connector/data-plane/payload.ts';

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

/** The names of the files in a ustar archive. */
function tarEntries(path: string): string[] {
  const tar = readFileSync(path);
  const names: string[] = [];
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const name = tar.subarray(offset, offset + 100).toString('utf8').replace(/\0.*$/s, '');
    if (!name) break;
    const size = parseInt(tar.subarray(offset + 124, offset + 136).toString('ascii').replace(/\0.*$/s, '').trim(), 8);
    names.push(`${name} (${formatBytes(size)})`);
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

const verify: Step<DataspaceState> = {
  title: 'The received archive is byte for byte what the hospital sent',
  async run(state) {
    const received = await state.connectors.institute!.api.get<TransferView>(`/transfers/${encodeURIComponent(state.transferId!)}`);
    // The hospital learns of the completion from the institute's message, a moment after the institute.
    let sent: TransferView | undefined;
    for (let waited = 0; !sent && waited < 10_000; waited += 100) {
      const { transfers } = await state.connectors.hospital!.api.get<{ transfers: TransferView[] }>(`/transfers?role=provider&agreementId=${encodeURIComponent(state.agreementId!)}`);
      sent = transfers.find((t) => t.state === 'COMPLETED');
      if (!sent) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!sent) throw new Error('the hospital has not recorded the transfer as completed');
    const hash = createHash('sha256');
    await hashFile(received.receivedPath!, hash);
    const onDisk = hash.digest('base64');
    if (onDisk !== sent.digest || received.digest !== sent.digest) throw new Error(`sha-256 differs: hospital sent ${sent.digest}, institute recorded ${received.digest}, file on disk ${onDisk}`);
    return `sha-256 ${onDisk} on both sides\n${tarEntries(received.receivedPath!).join(', ')}`;
  },
};

export function transferSteps(): Step<DataspaceState>[] {
  return [pull, verify];
}
