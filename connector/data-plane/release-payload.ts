import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReleaseReport } from '../../health/report.ts';
import type { Payload, Segment } from './payload.ts';
import { filesUnder, segmentLength, TAR_END, tarEntry } from './tar.ts';

/**
 * A health release served as a ustar archive: the released NDJSON files, staged once when the transfer started,
 * in the report's order, each header carrying the release date as its mtime, so the archive is a pure function of
 * the release and a resumed transfer (or one released again after a restart) gets the very same bytes.
 */

/** The header that carries a released payload's report to the consumer (outside any DSP message). */
export const RELEASE_REPORT_HEADER = 'hdc-release-report';

/** A transfer's payload cannot be produced as announced; the control plane ends the transfer with the reason. */
export class PayloadUnavailableError extends Error {
  override name = 'PayloadUnavailableError';
}

/** The source folder changed since the transfer's release was planned: its bytes can no longer be produced. */
export class SourceChangedError extends PayloadUnavailableError {
  override name = 'SourceChangedError';
  constructor() {
    super('the dataset changed since this transfer started, so its released data can no longer be produced; start a new transfer');
  }
}

/** Paths, sizes and modification times of a source folder's files: changes whenever a byte may have. */
export async function sourcePrint(dir: string): Promise<string> {
  const prints: string[] = [];
  for (const file of await filesUnder(dir)) {
    const info = await stat(file);
    prints.push(`${file}:${info.size}:${info.mtimeMs}`);
  }
  return prints.join('|');
}

/** The report as a header value: base64url of its JSON. */
export const encodeReleaseReport = (report: ReleaseReport) => Buffer.from(JSON.stringify(report)).toString('base64url');

/** The archive of the released files staged in `dir` (named and measured in `report.files`). */
export function releasedPayload(report: ReleaseReport, dir: string, options: { name: string; releaseDate: Date; sourcePrint: string }): Payload {
  const mtime = options.releaseDate.getTime();
  const segments: Segment[] = report.files.flatMap((f) => tarEntry(f.name, mtime, { kind: 'file', path: join(dir, f.name), size: f.bytes }));
  segments.push(TAR_END);
  return {
    name: `${options.name}.tar`,
    mediaType: 'application/x-tar',
    size: segments.reduce((sum, s) => sum + segmentLength(s), 0),
    segments,
    fingerprint: `release:${options.releaseDate.toISOString()}:${report.files.map((f) => `${f.name}:${f.sha256}`).join(',')}:${options.sourcePrint}`,
    headers: { [RELEASE_REPORT_HEADER]: encodeReleaseReport(report) },
  };
}
