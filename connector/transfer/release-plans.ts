import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { folderSource, releaseToFolder } from '../../health/folder-source.ts';
import { ReleaseInputError } from '../../health/ndjson.ts';
import { agreementSecret } from '../../health/pseudonym.ts';
import { parseReleaseRules, ReleaseRulesError, type ReleaseRules } from '../../health/release-rules.ts';
import type { ReleaseReport } from '../../health/report.ts';
import type { Logger } from '../logger.ts';
import type { Payload } from '../data-plane/payload.ts';
import { releaseInChildProcess } from '../data-plane/release-process.ts';
import { PayloadUnavailableError, releasedPayload, SourceChangedError, sourcePrint } from '../data-plane/release-payload.ts';

/**
 * Released transfers: under an agreement with release rules, a transfer's payload is the release of its dataset
 * folder, with the agreement's secret at the transfer's release date. The release runs once, when the transfer
 * starts, into a staging folder of the transfer's own: the archive is then served from those files like any
 * folder (Range requests, the digest and any number of pulls read them, not the pipeline). Staged releases are
 * kept in a bounded cache (by count and by bytes) and deleted when their transfer leaves STARTED; one evicted, or
 * lost to a restart, is released again: that must give the files recorded at start, or the source changed.
 */

/** A transfer that cannot be released: invalid rules, a source that is no FHIR NDJSON folder, bad input. */
export class ReleaseProblem extends PayloadUnavailableError {
  override name = 'ReleaseProblem';
}

/** The agreement's release rules, undefined when it names none (served as the source is); invalid ones are refused. */
export function releaseRulesOf(agreement: unknown): ReleaseRules | undefined {
  try {
    const parsed = parseReleaseRules(agreement);
    return parsed.kind === 'rules' ? parsed.rules : undefined;
  } catch (error) {
    if (error instanceof ReleaseRulesError) throw new ReleaseProblem(`the agreement's release rules cannot be applied: ${error.reasons.join('; ')}`);
    throw error;
  }
}

export interface ReleaseInputs {
  transferId: string;
  agreementId: string;
  rules: ReleaseRules;
  /** The dataset folder (inside the data root). */
  folder: string;
  /** The name the consumer stores the archive under (without .tar). */
  name: string;
  releaseDate: Date;
  /** The released files recorded at start; absent when planning the start itself. */
  expected?: ReleaseReport['files'];
}

interface Planned {
  payload: Payload;
  report: ReleaseReport;
  print: string;
  /** The staging folder of the released files, and their bytes. */
  dir: string;
  bytes: number;
}

const sameFiles = (a: ReleaseReport['files'], b: ReleaseReport['files']) =>
  a.length === b.length && a.every((f, i) => f.name === b[i]!.name && f.bytes === b[i]!.bytes && f.sha256 === b[i]!.sha256);

export interface ReleasePlannerOptions {
  releaseKey: Uint8Array;
  /** Where releases are staged (emptied first: a staged release does not outlive its process); a temp folder by default. */
  stagingDir?: string;
  /** Staged releases kept at most, by count and by bytes (the oldest go first; the latest is always kept). */
  maxPlans?: number;
  maxStagedBytes?: number;
  /** Release in this process instead of a child process of its own (release-process.ts). */
  inProcess?: boolean;
  /** The child process shares each release with a helper process (on another core); by default when the machine has more than one. */
  releaseHelper?: boolean;
  /** Notes each release's time and the child process's peak memory (counts only). */
  logger?: Pick<Logger, 'info'>;
}

export function releasePlanner(options: ReleasePlannerOptions) {
  const maxPlans = options.maxPlans ?? 32;
  const helper = options.releaseHelper ?? availableParallelism() > 1;
  const maxStagedBytes = options.maxStagedBytes ?? 8 * 1024 ** 3;
  const plans = new Map<string, Promise<Planned>>();
  const staged = new Map<string, Planned>();
  let stagingRoot = options.stagingDir;
  if (stagingRoot) rmSync(stagingRoot, { recursive: true, force: true });
  let stagings = 0;

  const stagingDirFor = (transferId: string) => {
    stagingRoot ??= mkdtempSync(join(tmpdir(), 'hdc-release-staging-'));
    return join(stagingRoot, `${transferId.replace(/[^\w-]/g, '_')}-${++stagings}`);
  };

  async function plan(inputs: ReleaseInputs): Promise<Planned> {
    const print = await sourcePrint(inputs.folder);
    const secret = agreementSecret(options.releaseKey, inputs.agreementId);
    const dir = stagingDirFor(inputs.transferId);
    try {
      let report: ReleaseReport;
      try {
        const request = { folder: inputs.folder, target: dir, rules: inputs.rules, secret, releaseDate: inputs.releaseDate.toISOString(), helper };
        if (options.inProcess) report = await releaseToFolder(folderSource(inputs.folder), dir, { rules: inputs.rules, secret, releaseDate: inputs.releaseDate });
        else {
          const started = performance.now();
          const released = await releaseInChildProcess(request);
          report = released.report;
          options.logger?.info('release process finished', {
            transferId: inputs.transferId,
            seconds: Number(((performance.now() - started) / 1000).toFixed(2)),
            peakRssMb: Math.round(released.peakRssBytes / 1024 ** 2),
            ...(released.helperPeakRssBytes ? { helperPeakRssMb: Math.round(released.helperPeakRssBytes / 1024 ** 2) } : {}),
          });
        }
      } catch (error) {
        if (!(error instanceof ReleaseInputError)) throw error;
        // Input that released at start and fails now has changed; at the start itself it is the source's fault.
        throw inputs.expected ? new SourceChangedError() : new ReleaseProblem(`the dataset cannot be released: ${error.message}`);
      }
      // A source written to while it was read gives a release of neither its old nor its new state.
      if ((await sourcePrint(inputs.folder)) !== print) throw new SourceChangedError();
      if (inputs.expected && !sameFiles(report.files, inputs.expected)) throw new SourceChangedError();
      const payload = releasedPayload(report, dir, { name: inputs.name, releaseDate: inputs.releaseDate, sourcePrint: print });
      return { payload, report, print, dir, bytes: report.files.reduce((sum, f) => sum + f.bytes, 0) };
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  function drop(key: string) {
    const planned = staged.get(key);
    plans.delete(key);
    staged.delete(key);
    // Streams already reading a staged file keep reading it: on POSIX an unlinked open file lives on.
    if (planned) rm(planned.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  function evict() {
    let bytes = [...staged.values()].reduce((sum, p) => sum + p.bytes, 0);
    for (const key of [...plans.keys()]) {
      if (plans.size <= 1 || (plans.size <= maxPlans && bytes <= maxStagedBytes)) break;
      bytes -= staged.get(key)?.bytes ?? 0;
      drop(key);
    }
  }

  /** The released payload of a transfer (and its report), from its staged files while the source is unchanged. */
  async function released(inputs: ReleaseInputs): Promise<Planned> {
    // A start retried after a crash releases at a new release date: a release at the old one must not serve it.
    const key = `${inputs.transferId} ${inputs.releaseDate.toISOString()}`;
    const cached = plans.get(key);
    if (cached) {
      plans.delete(key);
      plans.set(key, cached); // most recently used last
      const planned = await cached;
      if ((await sourcePrint(inputs.folder)) === planned.print) return planned;
      drop(key);
      throw new SourceChangedError();
    }
    const planning = plan(inputs);
    plans.set(key, planning);
    planning.then(
      (planned) => {
        if (plans.get(key) !== planning) return void rm(planned.dir, { recursive: true, force: true }).catch(() => undefined);
        staged.set(key, planned);
        evict();
      },
      () => plans.get(key) === planning && plans.delete(key),
    );
    return planning;
  }

  /** Deletes the staged releases of a transfer that left STARTED (a resumed one is released again). */
  function forget(transferId: string) {
    for (const key of [...plans.keys()]) if (key.startsWith(`${transferId} `)) drop(key);
  }

  return { released, forget };
}

export type ReleasePlanner = ReturnType<typeof releasePlanner>;
