import { type DataModelProblem, dataModelVersion, isObject, isUrl } from './data-model.ts';
import { asArray, CREDENTIAL_TYPE, DATASPACE_ROLES, REGISTRATION_KINDS } from './model.ts';

/**
 * What this dataspace asks of its own credential types (ParticipantCredential, DataPermitCredential), on top
 * of the data model: the authority's issuing rules, applied by the authority, never by the standard checks.
 */

function requireString(subject: Record<string, unknown>, key: string, problems: DataModelProblem[], pattern?: RegExp, hint = ''): void {
  const value = subject[key];
  if (typeof value !== 'string' || value.trim() === '' || (pattern && !pattern.test(value))) {
    problems.push({ path: `credentialSubject.${key}`, message: `must be ${hint || 'a non-empty string'}` });
  }
}

function requireList(subject: Record<string, unknown>, key: string, problems: DataModelProblem[]): void {
  const value = subject[key];
  if (value !== undefined && (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v === ''))) {
    problems.push({ path: `credentialSubject.${key}`, message: 'must be a non-empty list of strings' });
  }
}

function checkParticipant(subject: Record<string, unknown>, problems: DataModelProblem[]): void {
  requireString(subject, 'legalName', problems);
  const reg = subject.registrationNumber;
  if (!isObject(reg) || !REGISTRATION_KINDS.includes(reg.kind as never) || typeof reg.value !== 'string' || reg.value === '') {
    problems.push({ path: 'credentialSubject.registrationNumber', message: `must be { kind: one of ${REGISTRATION_KINDS.join(', ')}, value: string }` });
  }
  requireString(subject, 'headquartersCountry', problems, /^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code such as "LU"');
  if (!DATASPACE_ROLES.includes(subject.dataspaceRole as never))
    problems.push({ path: 'credentialSubject.dataspaceRole', message: `must be one of ${DATASPACE_ROLES.join(', ')}` });
  if (!['active', 'suspended'].includes(subject.membershipStatus as string))
    problems.push({ path: 'credentialSubject.membershipStatus', message: 'must be "active" or "suspended"' });
}

function checkDataPermit(credential: Record<string, unknown>, subject: Record<string, unknown>, problems: DataModelProblem[]): void {
  requireString(subject, 'permitId', problems);
  requireString(subject, 'projectId', problems);
  if (subject.purposes === undefined) problems.push({ path: 'credentialSubject.purposes', message: 'is missing' });
  requireList(subject, 'purposes', problems);
  requireList(subject, 'datasets', problems);
  requireList(subject, 'healthCategories', problems);
  if (subject.datasets === undefined && subject.healthCategories === undefined)
    problems.push({ path: 'credentialSubject', message: 'a data permit must name datasets or healthCategories' });
  if (subject.permitIssued !== true) problems.push({ path: 'credentialSubject.permitIssued', message: 'must be true' });
  if (credential.validUntil === undefined) problems.push({ path: 'validUntil', message: 'is required: a data permit has an end' });
}

const OWN_TYPES: string[] = Object.values(CREDENTIAL_TYPE);

/** Whether a credential is of one of this dataspace's own types (participant, permit, agreement, status list). */
export function isDataspaceCredential(credential: Record<string, unknown>): boolean {
  return asArray(credential.type as unknown).some((t) => OWN_TYPES.includes(t as string));
}

/**
 * The claims this dataspace's own credential types must make; empty for any other credential. They are
 * VCDM 2.0 credentials only: their terms, and their status entries', are defined over the 2.0 context.
 */
export function checkDataspaceClaims(credential: Record<string, unknown>): DataModelProblem[] {
  if (isDataspaceCredential(credential) && dataModelVersion(credential) === '1.1')
    return [{ path: '@context[0]', message: "this dataspace's own credential types are VCDM 2.0 credentials only (https://www.w3.org/ns/credentials/v2)" }];
  const types = asArray(credential.type as unknown);
  const isParticipant = types.includes(CREDENTIAL_TYPE.participant);
  const isPermit = types.includes(CREDENTIAL_TYPE.dataPermit);
  if (!isParticipant && !isPermit) return [];
  const subject = asArray(credential.credentialSubject as unknown)[0];
  if (!isObject(subject)) return [{ path: 'credentialSubject', message: 'must be an object' }];
  const problems: DataModelProblem[] = [];
  if (!isUrl(subject.id) || !String(subject.id).startsWith('did:')) problems.push({ path: 'credentialSubject.id', message: "must be the holder's DID" });
  if (isParticipant) checkParticipant(subject, problems);
  if (isPermit) checkDataPermit(credential, subject, problems);
  return problems;
}
