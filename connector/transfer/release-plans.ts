import { folderSource } from '../../health/folder-source.ts';
import { ReleaseInputError } from '../../health/ndjson.ts';
import { agreementSecret } from '../../health/pseudonym.ts';
import { planRelease, type ReleasePlan } from '../../health/release.ts';
import { parseReleaseRules, ReleaseRulesError, type ReleaseRules } from '../../health/release-rules.ts';
import type { ReleaseReport } from '../../health/report.ts';
import type { Payload } from '../data-plane/payload.ts';
import { PayloadUnavailableError, releasedPayload, SourceChangedError, sourcePrint } from '../data-plane/release-payload.ts';

/**
 * Released transfers: under an agreement with release rules, a transfer's payload is the release of its dataset
 * folder, planned with the agreement's secret at the transfer's release date. The plan is a pure function of
 * those inputs, so it is kept in memory only (a bounded cache, one entry a transfer) and planned again after a
 * restart or an eviction; the re-plan must give the files recorded at start, or the source changed.
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
}

const sameFiles = (a: ReleaseReport['files'], b: ReleaseReport['files']) =>
  a.length === b.length && a.every((f, i) => f.name === b[i]!.name && f.bytes === b[i]!.bytes && f.sha256 === b[i]!.sha256);

export function releasePlanner(options: { releaseKey: Uint8Array; maxPlans?: number }) {
  const maxPlans = options.maxPlans ?? 32;
  const plans = new Map<string, Promise<Planned>>();

  async function plan(inputs: ReleaseInputs): Promise<Planned> {
    const print = await sourcePrint(inputs.folder);
    const secret = agreementSecret(options.releaseKey, inputs.agreementId);
    let planned: ReleasePlan;
    try {
      planned = await planRelease(folderSource(inputs.folder), { rules: inputs.rules, secret, releaseDate: inputs.releaseDate });
    } catch (error) {
      if (!(error instanceof ReleaseInputError)) throw error;
      // Input that planned at start and fails now has changed; at the start itself it is the source's fault.
      throw inputs.expected ? new SourceChangedError() : new ReleaseProblem(`the dataset cannot be released: ${error.message}`);
    }
    if (inputs.expected && !sameFiles(planned.files, inputs.expected)) throw new SourceChangedError();
    return { payload: releasedPayload(planned, { name: inputs.name, releaseDate: inputs.releaseDate, sourcePrint: print }), report: planned.report, print };
  }

  /** The released payload of a transfer (and its report), from the cache while the source is unchanged. */
  async function released(inputs: ReleaseInputs): Promise<Planned> {
    // A start retried after a crash plans at a new release date: a plan of the old one must not serve it.
    const key = `${inputs.transferId} ${inputs.releaseDate.toISOString()}`;
    const cached = plans.get(key);
    if (cached) {
      plans.delete(key);
      plans.set(key, cached); // most recently used last
      const planned = await cached;
      if ((await sourcePrint(inputs.folder)) === planned.print) return planned;
      plans.delete(key);
      throw new SourceChangedError();
    }
    const planning = plan(inputs);
    plans.set(key, planning);
    planning.catch(() => plans.get(key) === planning && plans.delete(key));
    while (plans.size > maxPlans) plans.delete(plans.keys().next().value!);
    return planning;
  }

  return { released };
}

export type ReleasePlanner = ReturnType<typeof releasePlanner>;
