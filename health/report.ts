import type { PatientExclusion, ResourceExclusion } from './consent.ts';

/**
 * The release report: what the source held, what was left out and why, what was released. Counts only, never an
 * id, a pseudonym or a date of a patient, so it can be shown to the recipient and kept in logs.
 */

/** Why a resource was not released: its patient's exclusion, its own date, or what it is. */
export type ResourceReason =
  | PatientExclusion
  | ResourceExclusion
  /** Consent resources decide the release; they are not part of it. */
  | 'consent-record'
  /** The resource belongs to no patient (Organization, Practitioner, Medication…): it may name staff. */
  | 'no-patient'
  /** The resource references a patient the source has no Patient resource for. */
  | 'unknown-patient';

export const PATIENT_EXCLUSIONS: readonly PatientExclusion[] = ['no-consent', 'consent-expired', 'consent-withdrawn', 'denied', 'opted-out'];
export const RESOURCE_REASONS: readonly ResourceReason[] = [...PATIENT_EXCLUSIONS, 'outside-window', 'consent-record', 'no-patient', 'unknown-patient'];

export interface ReleaseReport {
  /** The release date consent was evaluated at (ISO 8601). */
  releaseDate: string;
  consentModel: 'mii-broad-consent' | 'ehds-opt-out';
  patients: { source: number; released: number; excluded: Record<PatientExclusion, number> };
  resources: {
    source: number;
    released: number;
    excluded: Record<ResourceReason, number>;
    byType: Record<string, { source: number; released: number }>;
  };
  /** The released files: name, resources, exact bytes and SHA-256 (hex). */
  files: { name: string; resources: number; bytes: number; sha256: string }[];
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

/** A tally's resource counts, as plain data. */
export interface ResourceCounts {
  excluded: Record<ResourceReason, number>;
  byType: { type: string; source: number; released: number }[];
  released: number;
}

/** Counters filled while a release runs; `report()` freezes them (types sorted, so the report is deterministic). */
export class ReleaseTally {
  readonly patients = { source: 0, released: 0, excluded: zeros(PATIENT_EXCLUSIONS) };
  private readonly excluded = zeros(RESOURCE_REASONS);
  /** Resources released so far, over all types. */
  releasedResources = 0;
  private readonly byType = new Map<string, { source: number; released: number }>();

  private type(resourceType: string) {
    const counts = this.byType.get(resourceType) ?? { source: 0, released: 0 };
    this.byType.set(resourceType, counts);
    return counts;
  }

  patient(exclusion: PatientExclusion | undefined): void {
    this.patients.source++;
    if (exclusion) this.patients.excluded[exclusion]++;
    else this.patients.released++;
  }

  released(resourceType: string): void {
    const counts = this.type(resourceType);
    counts.source++;
    counts.released++;
    this.releasedResources++;
  }

  dropped(resourceType: string, reason: ResourceReason): void {
    this.type(resourceType).source++;
    this.excluded[reason]++;
  }

  /** The resource counts alone, to be added to another tally (a part of a release done elsewhere). */
  resourceCounts(): ResourceCounts {
    return { excluded: { ...this.excluded }, byType: [...this.byType].map(([type, counts]) => ({ type, ...counts })), released: this.releasedResources };
  }

  addResourceCounts(counts: ResourceCounts): void {
    for (const reason of RESOURCE_REASONS) this.excluded[reason] += counts.excluded[reason] ?? 0;
    for (const { type, source, released } of counts.byType) {
      const mine = this.type(type);
      mine.source += source;
      mine.released += released;
    }
    this.releasedResources += counts.released;
  }

  report(base: Pick<ReleaseReport, 'releaseDate' | 'consentModel' | 'files'>): ReleaseReport {
    const types = [...this.byType.keys()].sort();
    const byType = Object.fromEntries(types.map((t) => [t, { ...this.byType.get(t)! }]));
    const source = types.reduce((sum, t) => sum + byType[t]!.source, 0);
    const released = types.reduce((sum, t) => sum + byType[t]!.released, 0);
    return { ...base, patients: { ...this.patients, excluded: { ...this.patients.excluded } }, resources: { source, released, excluded: { ...this.excluded }, byType } };
  }
}

/** The report as a few lines for people (the CLI, the dashboard, a log line). */
export function describeReport(report: ReleaseReport): string {
  const reasons = (counts: Record<string, number>) =>
    Object.entries(counts)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => `${n} ${reason}`)
      .join(', ') || 'none';
  return [
    `Release at ${report.releaseDate} under ${report.consentModel}:`,
    `  patients: ${report.patients.source} in the source, ${report.patients.released} released; excluded: ${reasons(report.patients.excluded)}`,
    `  resources: ${report.resources.source} in the source, ${report.resources.released} released; not released: ${reasons(report.resources.excluded)}`,
    ...report.files.map((f) => `  ${f.name}: ${f.resources} resources, ${f.bytes} bytes`),
  ].join('\n');
}
