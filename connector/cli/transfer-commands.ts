import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { parseManagementArgs } from './connection.ts';
import { UsageError } from './usage-error.ts';
import { subcommand } from './trust-commands.ts';
import { ManagementApiError, type ManagementClient } from './management-client.ts';
import { parseDigest } from '../data-plane/serve.ts';
import { receiveToFile } from '../data-plane/push.ts';
import { formatBytes } from '../data-plane/format-bytes.ts';
import { describeReport, type ReleaseReport } from '../../health/report.ts';

type Out = (line: string) => void;

export const TRANSFERS_USAGE = `Usage: hdc transfers <start|list|show|approve|pull|suspend|resume|complete|terminate|download> [options]
  start <agreementId> [--push] [--no-wait]   start a transfer (HttpData-PULL, or PUSH) and follow it
                                             with a progress bar until it is COMPLETED or TERMINATED
  list [--role provider|consumer] [--state <STATE>]
  show <id>                                  state, reasons, size, digest, progress, where the data is
  approve <id>                               provider: release a request held for review (reviewTransfers)
  pull <id>                                  consumer: pull a started transfer that waits (pullOnStart off)
  suspend <id> --reason <text>
  resume <id>
  complete <id>
  terminate <id> --reason <text>
  download <id> --out <file>                 save received data (complete and digest-checked only),
                                             checking its SHA-256 again on the way`;

export interface TransferView {
  id: string;
  role: string;
  state: string;
  agreementId: string;
  datasetId: string;
  format: string;
  counterpartyDid: string;
  size: number | null;
  digest: string | null;
  /** Consumer: false when the provider sent no Repr-Digest and the digest was only computed here. */
  digestVerified?: boolean | null;
  /** Provider: "approval" while a request is held for review. */
  pending?: string | null;
  progress: { bytes: number; total: number | null; bytesPerSecond: number };
  receivedPath: string | null;
  deletedAt: string | null;
  reasons: string[];
  /** The release report of a transfer that went through the health release pipeline (counts only). */
  release?: ReleaseReport | null;
}

const FINAL = new Set(['COMPLETED', 'TERMINATED']);

/** One line: a bar, the bytes so far of the total, and the rate. */
export function progressLine(progress: TransferView['progress'], width = 30): string {
  const { bytes, total, bytesPerSecond } = progress;
  const fraction = total ? Math.min(1, bytes / total) : 0;
  const filled = Math.round(fraction * width);
  const bar = total ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%` : '[receiving]';
  return `${bar} ${formatBytes(bytes)}${total ? ` of ${formatBytes(total)}` : ''}${bytesPerSecond > 0 ? `, ${formatBytes(bytesPerSecond)}/s` : ''}`;
}

export function describeTransfer(t: TransferView): string {
  const lines = [`${t.state.padEnd(10)} ${t.role.padEnd(8)} ${t.format}  ${t.datasetId}`, `  ${t.id}  with ${t.counterpartyDid}`, `  agreement ${t.agreementId}`];
  if (t.pending === 'approval') lines.push('  awaits approval: hdc transfers approve (or terminate)');
  const unverified = t.digestVerified === false ? ' (computed here; the provider sent no digest to check it against)' : '';
  if (t.size !== null) lines.push(`  ${formatBytes(t.size)}${t.digest ? `, sha-256 ${t.digest}${unverified}` : ''}`);
  if (!FINAL.has(t.state) && t.progress.bytes > 0) lines.push(`  ${progressLine(t.progress)}`);
  if (t.receivedPath) lines.push(`  ${t.deletedAt ? `deleted at ${t.deletedAt} (duty of the agreement)` : `stored at ${t.receivedPath}`}`);
  if (t.reasons.length) lines.push(`  reasons: ${t.reasons.join('; ')}`);
  if (t.release)
    lines.push(
      ...describeReport(t.release)
        .split('\n')
        .map((line) => `  ${line}`),
    );
  return lines.join('\n');
}

/**
 * Follows a transfer until it is final, redrawing a progress bar in place on a terminal (one line per
 * second otherwise, so logs stay readable).
 */
export async function followTransfer(client: ManagementClient, id: string, out: Out, options: { pollMs?: number; timeoutMs?: number; tty?: boolean } = {}): Promise<TransferView> {
  const tty = options.tty ?? process.stdout.isTTY === true;
  const started = Date.now();
  let lastPrinted = 0;
  for (;;) {
    const t = await client.get<TransferView>(`/transfers/${encodeURIComponent(id)}`);
    if (FINAL.has(t.state)) {
      if (tty) process.stdout.write('\r\x1b[2K');
      return t;
    }
    if (t.state === 'STARTED' && t.progress.bytes > 0) {
      if (tty) process.stdout.write(`\r\x1b[2K${progressLine(t.progress)}`);
      else if (Date.now() - lastPrinted >= 1000) {
        out(progressLine(t.progress));
        lastPrinted = Date.now();
      }
    }
    if (Date.now() - started > (options.timeoutMs ?? 24 * 3600_000)) throw new Error(`transfer ${id} is still ${t.state}`);
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}

/** Saves a completed transfer's data to `destination`, verifying the SHA-256 the connector recorded. */
export async function downloadReceived(client: ManagementClient, id: string, destination: string): Promise<{ bytes: number; digest: string }> {
  const response = await client.fetch(`/transfers/${encodeURIComponent(id)}/data`);
  if (!response.ok || !response.body) {
    const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
    throw new ManagementApiError(response.status, body.error?.message ?? `HTTP ${response.status}`);
  }
  const expected = parseDigest(response.headers.get('repr-digest'));
  if (!expected) throw new Error('the connector sent the data without its digest; nothing was saved');
  const length = response.headers.get('content-length');
  const saved = await receiveToFile(Readable.fromWeb(response.body as NodeReadableStream), expected, length ? Number(length) : undefined, destination);
  return { bytes: saved.size, digest: saved.digest };
}

export async function transfersCommand(args: string[], out: Out): Promise<number> {
  const options = {
    push: { type: 'boolean' },
    'no-wait': { type: 'boolean' },
    reason: { type: 'string' },
    role: { type: 'string' },
    state: { type: 'string' },
    out: { type: 'string' },
  } as const;
  const { values, positionals, client } = parseManagementArgs(args, options, TRANSFERS_USAGE);
  const action = subcommand(positionals, ['start', 'list', 'show', 'approve', 'pull', 'suspend', 'resume', 'complete', 'terminate', 'download'], TRANSFERS_USAGE);
  if (action === 'list') {
    const query = new URLSearchParams({ ...(values.role ? { role: values.role } : {}), ...(values.state ? { state: values.state } : {}) });
    const { transfers } = await client.get<{ transfers: TransferView[] }>(`/transfers${query.size ? `?${query}` : ''}`);
    if (transfers.length === 0) out('No transfers.');
    for (const t of transfers) out(describeTransfer(t));
    return 0;
  }
  const target = positionals[1];
  if (!target) throw new UsageError(action === 'start' ? 'Name the agreement (its id from "hdc negotiations agreements").' : 'Name the transfer id.', TRANSFERS_USAGE);
  if (action === 'start') {
    const started = await client.post<TransferView>('/transfers', { agreementId: target, format: values.push ? 'HttpData-PUSH' : 'HttpData-PULL' });
    out(`Transfer ${started.id} (${started.format}) requested from ${started.counterpartyDid}.`);
    if (values['no-wait']) return 0;
    const done = await followTransfer(client, started.id, out);
    out(describeTransfer(done));
    return done.state === 'COMPLETED' ? 0 : 1;
  }
  if (action === 'download') {
    if (!values.out) throw new UsageError('--out <file> is required.', TRANSFERS_USAGE);
    if (existsSync(values.out)) throw new UsageError(`${values.out} exists; choose another file.`, TRANSFERS_USAGE);
    const saved = await downloadReceived(client, target, values.out);
    out(`Saved ${formatBytes(saved.bytes)} to ${values.out} (sha-256 ${saved.digest}, verified).`);
    return 0;
  }
  const path = `/transfers/${encodeURIComponent(target)}`;
  const reason = () => {
    if (!values.reason) throw new UsageError('--reason is required.', TRANSFERS_USAGE);
    return { reason: values.reason };
  };
  const result =
    action === 'show'
      ? await client.get<TransferView>(path)
      : action === 'suspend' || action === 'terminate'
        ? await client.post<TransferView>(`${path}/${action}`, reason())
        : await client.post<TransferView>(`${path}/${action}`);
  out(describeTransfer(result));
  return 0;
}
