import { CONTEXT } from '../../vocab/namespaces.ts';
import { asArray, CREDENTIAL_TYPE, DATASPACE_ROLES, REGISTRATION_KINDS } from './model.ts';

/**
 * The Verifiable Credentials Data Model 2.0 rules JSON-LD processing does not enforce (it checks no literal
 * values), plus the claims of this dataspace's own credential types. Each problem names the property.
 */
export interface DataModelProblem {
  path: string;
  message: string;
}

const DATE_TIME_STAMP = /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const URL_LIKE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isUrl = (value: unknown): value is string => typeof value === 'string' && URL_LIKE.test(value);

export function isDateTimeStamp(value: unknown): value is string {
  return typeof value === 'string' && DATE_TIME_STAMP.test(value) && !Number.isNaN(Date.parse(value));
}

function checkContext(doc: Record<string, unknown>, problems: DataModelProblem[]): void {
  const context = doc['@context'];
  if (!Array.isArray(context) || context.length === 0) {
    problems.push({ path: '@context', message: `must be an array whose first item is "${CONTEXT.credentialsV2}"` });
    return;
  }
  if (context[0] !== CONTEXT.credentialsV2) {
    problems.push({ path: '@context[0]', message: `must be "${CONTEXT.credentialsV2}" (found ${JSON.stringify(context[0])})` });
  }
  context.forEach((item, i) => {
    if (!isUrl(item) && !isObject(item)) problems.push({ path: `@context[${i}]`, message: 'must be a URL or a context object' });
  });
}

function checkType(doc: Record<string, unknown>, required: string, problems: DataModelProblem[]): void {
  const types = asArray(doc.type as unknown);
  if (types.length === 0) problems.push({ path: 'type', message: `is missing; it must include "${required}"` });
  else if (types.some((t) => typeof t !== 'string' || t === '')) problems.push({ path: 'type', message: 'must contain only non-empty strings' });
  else if (!types.includes(required)) problems.push({ path: 'type', message: `must include "${required}"` });
}

function checkValidity(doc: Record<string, unknown>, problems: DataModelProblem[]): void {
  for (const key of ['validFrom', 'validUntil']) {
    if (doc[key] !== undefined && !isDateTimeStamp(doc[key])) {
      problems.push({ path: key, message: `must be an XML Schema dateTimeStamp with a time zone, e.g. 2026-01-01T00:00:00Z (found ${JSON.stringify(doc[key])})` });
    }
  }
  if (isDateTimeStamp(doc.validFrom) && isDateTimeStamp(doc.validUntil) && Date.parse(doc.validUntil) < Date.parse(doc.validFrom)) {
    problems.push({ path: 'validUntil', message: 'must not be before validFrom' });
  }
}

function checkSubjects(doc: Record<string, unknown>, problems: DataModelProblem[]): void {
  const subject = doc.credentialSubject;
  const subjects = asArray(subject as unknown);
  if (subject === undefined || subjects.length === 0) {
    problems.push({ path: 'credentialSubject', message: 'is missing' });
    return;
  }
  subjects.forEach((s, i) => {
    const path = Array.isArray(subject) ? `credentialSubject[${i}]` : 'credentialSubject';
    if (!isObject(s)) return void problems.push({ path, message: 'must be an object' });
    if (s.id !== undefined && !isUrl(s.id)) problems.push({ path: `${path}.id`, message: 'must be a URL' });
    if (Object.keys(s).filter((k) => k !== 'id').length === 0) problems.push({ path, message: 'must make at least one claim besides its id' });
  });
}

function checkTypedEntries(doc: Record<string, unknown>, key: string, problems: DataModelProblem[], idRequired: boolean): void {
  asArray(doc[key] as unknown).forEach((entry, i) => {
    const path = Array.isArray(doc[key]) ? `${key}[${i}]` : key;
    if (!isObject(entry)) return void problems.push({ path, message: 'must be an object' });
    if (asArray(entry.type as unknown).length === 0) problems.push({ path: `${path}.type`, message: 'is missing' });
    if ((idRequired || entry.id !== undefined) && !isUrl(entry.id)) problems.push({ path: `${path}.id`, message: 'must be a URL' });
  });
}

/** Problems with a credential against the VCDM 2.0 MUSTs; empty when it conforms. */
export function checkCredentialDataModel(credential: unknown): DataModelProblem[] {
  if (!isObject(credential)) return [{ path: '', message: 'a credential must be a JSON object' }];
  const problems: DataModelProblem[] = [];
  checkContext(credential, problems);
  if (credential.id !== undefined && !isUrl(credential.id)) problems.push({ path: 'id', message: 'must be a URL' });
  checkType(credential, 'VerifiableCredential', problems);
  const issuer = credential.issuer;
  if (issuer === undefined) problems.push({ path: 'issuer', message: 'is missing' });
  else if (!isUrl(issuer) && !(isObject(issuer) && isUrl(issuer.id))) problems.push({ path: 'issuer', message: 'must be a URL or an object whose id is a URL' });
  checkSubjects(credential, problems);
  checkValidity(credential, problems);
  checkTypedEntries(credential, 'credentialStatus', problems, false);
  checkTypedEntries(credential, 'credentialSchema', problems, true);
  checkTypedEntries(credential, 'evidence', problems, false);
  checkTypedEntries(credential, 'termsOfUse', problems, false);
  checkTypedEntries(credential, 'refreshService', problems, false);
  return problems;
}

/** Problems with a presentation's own envelope (its credentials are checked one by one elsewhere). */
export function checkPresentationDataModel(presentation: unknown): DataModelProblem[] {
  if (!isObject(presentation)) return [{ path: '', message: 'a presentation must be a JSON object' }];
  const problems: DataModelProblem[] = [];
  checkContext(presentation, problems);
  if (presentation.id !== undefined && !isUrl(presentation.id)) problems.push({ path: 'id', message: 'must be a URL' });
  checkType(presentation, 'VerifiablePresentation', problems);
  const holder = presentation.holder;
  if (holder !== undefined && !isUrl(holder) && !(isObject(holder) && isUrl(holder.id))) problems.push({ path: 'holder', message: 'must be a URL or an object whose id is a URL' });
  const credentials = presentation.verifiableCredential;
  if (credentials !== undefined && asArray(credentials).some((c) => !isObject(c))) problems.push({ path: 'verifiableCredential', message: 'must hold credential objects' });
  return problems;
}

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

/** The claims this dataspace's own credential types must make (ParticipantCredential, DataPermitCredential). */
export function checkDataspaceClaims(credential: Record<string, unknown>): DataModelProblem[] {
  const types = asArray(credential.type as unknown);
  const subject = asArray(credential.credentialSubject as unknown)[0];
  if (!isObject(subject)) return [];
  const problems: DataModelProblem[] = [];
  if (types.includes(CREDENTIAL_TYPE.participant) || types.includes(CREDENTIAL_TYPE.dataPermit)) {
    if (!isUrl(subject.id) || !String(subject.id).startsWith('did:')) problems.push({ path: 'credentialSubject.id', message: "must be the holder's DID" });
  }
  if (types.includes(CREDENTIAL_TYPE.participant)) {
    requireString(subject, 'legalName', problems);
    const reg = subject.registrationNumber;
    if (!isObject(reg) || !REGISTRATION_KINDS.includes(reg.kind as never) || typeof reg.value !== 'string' || reg.value === '') {
      problems.push({ path: 'credentialSubject.registrationNumber', message: `must be { kind: one of ${REGISTRATION_KINDS.join(', ')}, value: string }` });
    }
    requireString(subject, 'headquartersCountry', problems, /^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 country code such as "LU"');
    if (!DATASPACE_ROLES.includes(subject.dataspaceRole as never)) problems.push({ path: 'credentialSubject.dataspaceRole', message: `must be one of ${DATASPACE_ROLES.join(', ')}` });
    if (!['active', 'suspended'].includes(subject.membershipStatus as string)) problems.push({ path: 'credentialSubject.membershipStatus', message: 'must be "active" or "suspended"' });
  }
  if (types.includes(CREDENTIAL_TYPE.dataPermit)) {
    requireString(subject, 'permitId', problems);
    requireString(subject, 'projectId', problems);
    if (subject.purposes === undefined) problems.push({ path: 'credentialSubject.purposes', message: 'is missing' });
    requireList(subject, 'purposes', problems);
    requireList(subject, 'datasets', problems);
    requireList(subject, 'healthCategories', problems);
    if (subject.datasets === undefined && subject.healthCategories === undefined) problems.push({ path: 'credentialSubject', message: 'a data permit must name datasets or healthCategories' });
    if (subject.permitIssued !== true) problems.push({ path: 'credentialSubject.permitIssued', message: 'must be true' });
    if (credential.validUntil === undefined) problems.push({ path: 'validUntil', message: 'is required: a data permit has an end' });
  }
  return problems;
}

export function describeProblems(problems: DataModelProblem[]): string {
  return problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
}
