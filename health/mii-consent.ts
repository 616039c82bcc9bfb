/**
 * The MII broad consent policy codes (CodeSystem urn:oid:2.16.840.1.113883.3.1937.777.24.5.3, MII Kerndatensatz
 * module Consent). A code is the system's OID with a suffix: `.8` is 2.16.840.1.113883.3.1937.777.24.5.3.8.
 */

export const MII_CONSENT_SYSTEM = 'urn:oid:2.16.840.1.113883.3.1937.777.24.5.3';
const OID = MII_CONSENT_SYSTEM.slice('urn:oid:'.length);

/** The code of a suffix: miiCode(8) is "2.16.840.1.113883.3.1937.777.24.5.3.8". */
export function miiCode(suffix: number): string {
  return `${OID}.${suffix}`;
}

/** The codes the release rules treat specially. */
export const MII_CODE = {
  /** MDAT erheben: data may be collected; its period is the window data may come from. */
  mdatCollect: miiCode(6),
  /** MDAT speichern, verarbeiten. */
  mdatStore: miiCode(7),
  /** MDAT wissenschaftlich nutzen (EU GDPR level): the gate, valid at the release date. */
  mdatScientificUse: miiCode(8),
  /** MDAT retrospektiv speichern, verarbeiten. */
  mdatRetroStore: miiCode(45),
  /** MDAT retrospektiv wissenschaftlich nutzen (EU GDPR level). */
  mdatRetroUse: miiCode(46),
} as const;

export const MII_RETROSPECTIVE_CODES: readonly string[] = [MII_CODE.mdatRetroStore, MII_CODE.mdatRetroUse];

/** The start retrospective consent extends the window back to. */
export const RETROSPECTIVE_START = '1900-01-01';

/** Short display names, for the synthetic Consents and for people reading a rule. */
export const MII_CODE_DISPLAY: Record<string, string> = {
  [miiCode(1)]: 'PATDAT erheben, speichern, nutzen',
  [miiCode(6)]: 'MDAT erheben',
  [miiCode(7)]: 'MDAT speichern, verarbeiten',
  [miiCode(8)]: 'MDAT wissenschaftlich nutzen EU DSGVO NIVEAU',
  [miiCode(9)]: 'MDAT zusammenfuehren Dritte',
  [miiCode(37)]: 'Rekontaktierung Ergebnisse erheblicher Bedeutung',
  [miiCode(45)]: 'MDAT retrospektiv speichern verarbeiten',
  [miiCode(46)]: 'MDAT retrospektiv wissenschaftlich nutzen EU DSGVO NIVEAU',
};

/** Whether a string is a code of the MII consent policy CodeSystem (the OID and one more numeric arc). */
export function isMiiCode(code: string): boolean {
  return code.startsWith(`${OID}.`) && /^[1-9][0-9]*$/.test(code.slice(OID.length + 1));
}
