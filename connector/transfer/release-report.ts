import { z } from 'zod';
import type { ReleaseCounts } from '../../contracts/audit/events.ts';
import { PATIENT_EXCLUSIONS, RESOURCE_REASONS, type ReleaseReport } from '../../health/report.ts';

/**
 * The release report as it travels and is kept: checked when it arrives from a provider (a peer's header is
 * input like any other), reduced to counts for the audit trail.
 */

const count = z.number().int().nonnegative();
const countsOf = (keys: readonly string[]) => z.strictObject(Object.fromEntries(keys.map((k) => [k, count])));

export const ReleaseReportSchema = z.strictObject({
  releaseDate: z.iso.datetime(),
  consentModel: z.enum(['mii-broad-consent', 'ehds-opt-out']),
  patients: z.strictObject({ source: count, released: count, excluded: countsOf(PATIENT_EXCLUSIONS) }),
  resources: z.strictObject({
    source: count,
    released: count,
    excluded: countsOf(RESOURCE_REASONS),
    byType: z.record(z.string().regex(/^[A-Z][A-Za-z]{0,63}$/), z.strictObject({ source: count, released: count })),
  }),
  files: z.array(z.strictObject({ name: z.string().max(255), resources: count, bytes: count, sha256: z.string().regex(/^[0-9a-f]{64}$/) })).max(1000),
});

/** A release report header value (base64url JSON) from a provider, or undefined when absent or malformed. */
export function decodeReleaseReport(header: string | undefined): ReleaseReport | undefined {
  if (!header || header.length > 64 * 1024) return undefined;
  try {
    const parsed = ReleaseReportSchema.safeParse(JSON.parse(Buffer.from(header, 'base64url').toString('utf8')));
    return parsed.success ? (parsed.data as ReleaseReport) : undefined;
  } catch {
    return undefined;
  }
}

/** What the audit trail keeps of a release: patients included and excluded (by reason), resources released. */
export function releaseCounts(report: ReleaseReport): ReleaseCounts {
  const excluded = Object.entries(report.patients.excluded).filter(([, n]) => n > 0);
  return {
    included: report.patients.released,
    excluded: report.patients.source - report.patients.released,
    ...Object.fromEntries(excluded),
    resourcesReleased: report.resources.released,
    resourcesInSource: report.resources.source,
  };
}
