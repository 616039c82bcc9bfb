import { MII_CODE_DISPLAY, MII_CONSENT_SYSTEM, miiCode } from '../../health/mii-consent.ts';
import type { Random } from './random.ts';

/**
 * Synthetic MII broad consents (FHIR R4 Consent, profile mii-pr-consent-einwilligung): a top-level provision of
 * type deny with nested permit provisions, one policy code and one period each. MDAT collection (.6) is granted
 * for 5 years, scientific use (.8) for 30, as the MII form does; refused modules appear as nested deny provisions.
 */

export const CONSENT_PROFILE = 'https://www.medizininformatik-initiative.de/fhir/modul-consent/StructureDefinition/mii-pr-consent-einwilligung';

/** What a patient's consent looks like; the mix is drawn in {@link consentKind}. */
export type ConsentKind = 'full' | 'full-retrospective' | 'none' | 'without-use' | 'use-refused' | 'withdrawn' | 'expired' | 'window-paused';

const MIX: [ConsentKind, number][] = [
  ['full', 0.6],
  ['full-retrospective', 0.12],
  ['none', 0.05],
  ['without-use', 0.05],
  ['use-refused', 0.04],
  ['withdrawn', 0.05],
  ['expired', 0.05],
  ['window-paused', 0.04],
];

export function consentKind(random: Random): ConsentKind {
  let draw = random.next();
  for (const [kind, weight] of MIX) {
    if (draw < weight) return kind;
    draw -= weight;
  }
  return 'full';
}

const DAY = 86_400_000;
const YEAR = 365 * DAY;
const BASE_CODES = [1, 6, 7, 8, 9, 37];

/** A dateTime as the MII examples write them: local midnight in Central European Time. */
function cet(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 10)}T00:00:00+01:00`;
}

function provision(type: 'permit' | 'deny', suffix: number, start: number, end: number) {
  const code = miiCode(suffix);
  return { type, period: { start: cet(start), end: cet(end) }, code: [{ coding: [{ system: MII_CONSENT_SYSTEM, code, display: MII_CODE_DISPLAY[code] ?? code }] }] };
}

/**
 * The Consent resources of one patient (none for kind `none`), signed on `signedAt` (ms). `historyEnd` is the
 * last day of the patient's data, used to place a pause inside the collection window.
 */
export function patientConsents(kind: ConsentKind, patientId: string, signedAt: number, historyEnd: number, random: Random) {
  if (kind === 'none') return [];
  const collectEnd = signedAt + 5 * YEAR;
  const useEnd = kind === 'expired' ? signedAt + random.int(1, 3) * YEAR : signedAt + 30 * YEAR;
  const codes = kind === 'without-use' ? BASE_CODES.filter((c) => c !== 8) : BASE_CODES;
  const nested = codes.map((suffix) =>
    kind === 'use-refused' && suffix === 8 ? provision('deny', 8, signedAt, signedAt + 30 * YEAR) : provision('permit', suffix, signedAt, suffix === 6 ? collectEnd : useEnd),
  );
  if (kind === 'full-retrospective') nested.push(provision('permit', 45, signedAt, useEnd), provision('permit', 46, signedAt, useEnd));
  if (kind === 'window-paused') {
    const pauseStart = signedAt + random.int(30, Math.max(31, Math.floor((Math.min(collectEnd, historyEnd) - signedAt) / DAY) - 30)) * DAY;
    nested.push(provision('deny', 6, pauseStart, pauseStart + random.int(60, 240) * DAY));
  }
  return [
    {
      resourceType: 'Consent',
      id: `bc-${patientId.slice(2)}`,
      meta: { profile: [CONSENT_PROFILE], source: 'https://hospital.example/fhir/gics' },
      status: kind === 'withdrawn' ? 'inactive' : 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'research' }] },
      category: [
        { coding: [{ system: 'http://loinc.org', code: '57016-8', display: 'Privacy policy acknowledgement Document' }] },
        {
          coding: [
            { system: 'https://www.medizininformatik-initiative.de/fhir/modul-consent/CodeSystem/mii-cs-consent-consent_category', code: '2.16.840.1.113883.3.1937.777.24.2.184' },
          ],
        },
      ],
      patient: { reference: `Patient/${patientId}` },
      dateTime: cet(signedAt),
      policy: [{ uri: 'urn:oid:2.16.840.1.113883.3.1937.777.24.2.1791' }],
      provision: { type: 'deny', period: { start: cet(signedAt), end: cet(signedAt + 30 * YEAR) }, provision: nested },
    },
  ];
}
