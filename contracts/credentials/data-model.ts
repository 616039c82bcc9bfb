import { CONTEXT } from '../../vocab/namespaces.ts';
import { asArray } from './model.ts';

/**
 * The Verifiable Credentials Data Model rules JSON-LD processing does not enforce (it checks no literal
 * values): VCDM 2.0, and VCDM 1.1 where the caller allows it (verifying; the VC-API issuer secures 1.1 too).
 * Each problem names the property. What this dataspace asks of its own credential types is elsewhere
 * (dataspace-claims.ts), above these rules.
 */
export interface DataModelProblem {
  path: string;
  message: string;
  /** Set when the problem is a JSON-LD context the connector does not hold. */
  code?: 'unknown_context';
}

/** Which data model a document follows, from the first item of its @context. */
export type DataModelVersion = '2.0' | '1.1';

const DATE_TIME_STAMP = /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
/** VCDM 1.1 dates are xsd:dateTime: the time zone is optional. */
const DATE_TIME = /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?$/;
const URL_LIKE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/;
const LANGUAGE_TAG = /^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$/;
const SRI = /^(sha256|sha384|sha512)-[A-Za-z0-9+/_-]+={0,2}$/;

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
export const isUrl = (value: unknown): value is string => typeof value === 'string' && URL_LIKE.test(value);

/** The day exists in its month (Date.parse rolls 2026-02-30 over to March). */
function isCalendarDate(value: string): boolean {
  const [, year, month, day] = /^(-?\d{4,})-(\d{2})-(\d{2})/.exec(value) ?? [];
  return Number(day) <= new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate() && !Number.isNaN(Date.parse(value));
}

export function isDateTimeStamp(value: unknown): value is string {
  return typeof value === 'string' && DATE_TIME_STAMP.test(value) && isCalendarDate(value);
}

function isDateTime(value: unknown): value is string {
  return typeof value === 'string' && DATE_TIME.test(value) && isCalendarDate(value);
}

/** The data model a credential or presentation claims by its first context, or undefined for neither. */
export function dataModelVersion(doc: unknown): DataModelVersion | undefined {
  const first = isObject(doc) && Array.isArray(doc['@context']) ? doc['@context'][0] : undefined;
  return first === CONTEXT.credentialsV2 ? '2.0' : first === CONTEXT.credentialsV1 ? '1.1' : undefined;
}

/** Where each problem goes; `at` builds the path of one item of a value that may be a set. */
class Problems {
  readonly list: DataModelProblem[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
}

const itemPath = (key: string, value: unknown, i: number) => (Array.isArray(value) ? `${key}[${i}]` : key);

function checkContext(doc: Record<string, unknown>, p: Problems, versions: DataModelVersion[]): void {
  const context = doc['@context'];
  const expected = versions.map((v) => `"${v === '2.0' ? CONTEXT.credentialsV2 : CONTEXT.credentialsV1}"`).join(' or ');
  if (!Array.isArray(context) || context.length === 0) {
    p.add('@context', `must be an array whose first item is ${expected}`);
    return;
  }
  const version = dataModelVersion(doc);
  if (!version || !versions.includes(version)) p.add('@context[0]', `must be ${expected} (found ${JSON.stringify(context[0])})`);
  context.forEach((item, i) => {
    if (!isUrl(item) && !isObject(item)) p.add(`@context[${i}]`, 'must be a URL or a context object');
  });
}

function checkId(doc: Record<string, unknown>, path: string, p: Problems, required = false): void {
  if (doc.id === undefined && !required) return;
  if (!isUrl(doc.id)) p.add(`${path ? `${path}.` : ''}id`, Array.isArray(doc.id) ? 'must be a single URL' : 'must be a URL');
}

function checkType(doc: Record<string, unknown>, path: string, p: Problems, required?: string): void {
  const at = `${path ? `${path}.` : ''}type`;
  const types = asArray(doc.type as unknown);
  if (types.length === 0) {
    p.add(at, required ? `is missing; it must include "${required}"` : 'is missing');
    return;
  }
  if (types.some((t) => typeof t !== 'string' || t === '')) {
    p.add(at, 'must contain only non-empty strings (terms or URLs)');
    return;
  }
  if (required && !types.includes(required)) p.add(at, `must include "${required}"`);
}

/** name and description: a string, a language value object ({@value, @language?, @direction?}), or a set of them. */
function checkLanguageValues(doc: Record<string, unknown>, path: string, p: Problems): void {
  for (const key of ['name', 'description']) {
    const value = doc[key];
    if (value === undefined) continue;
    const at = `${path ? `${path}.` : ''}${key}`;
    asArray(value).forEach((item, i) => {
      if (typeof item === 'string') return;
      const where = itemPath(at, value, i);
      if (!isObject(item) || typeof item['@value'] !== 'string') {
        p.add(where, 'must be a string or a language value object with a string @value');
        return;
      }
      const extra = Object.keys(item).filter((k) => !['@value', '@language', '@direction'].includes(k));
      if (extra.length > 0) p.add(where, `a language value object holds only @value, @language and @direction (found ${extra.join(', ')})`);
      if (item['@language'] !== undefined && !(typeof item['@language'] === 'string' && LANGUAGE_TAG.test(item['@language'])))
        p.add(`${where}.@language`, 'must be a BCP 47 language tag');
      if (item['@direction'] !== undefined && item['@direction'] !== 'ltr' && item['@direction'] !== 'rtl') p.add(`${where}.@direction`, 'must be "ltr" or "rtl"');
    });
  }
}

function checkIssuer(doc: Record<string, unknown>, p: Problems): void {
  const issuer = doc.issuer;
  if (issuer === undefined || issuer === null) {
    p.add('issuer', 'is missing');
    return;
  }
  if (isUrl(issuer)) return;
  if (!isObject(issuer)) {
    p.add('issuer', 'must be a URL or an object whose id is a URL');
    return;
  }
  checkId(issuer, 'issuer', p, true);
  checkLanguageValues(issuer, 'issuer', p);
}

function checkSubjects(doc: Record<string, unknown>, p: Problems): void {
  const subject = doc.credentialSubject;
  const subjects = asArray(subject as unknown);
  if (subject === undefined || subject === null || subjects.length === 0) {
    p.add('credentialSubject', 'is missing');
    return;
  }
  subjects.forEach((s, i) => {
    const path = itemPath('credentialSubject', subject, i);
    if (!isObject(s)) {
      p.add(path, 'must be an object');
      return;
    }
    if (Object.keys(s).length === 0) {
      p.add(path, 'must make a claim about the subject (an id or a property)');
      return;
    }
    checkId(s, path, p);
  });
}

function checkValidity(doc: Record<string, unknown>, p: Problems, version: DataModelVersion): void {
  const [from, until] = version === '2.0' ? ['validFrom', 'validUntil'] : ['issuanceDate', 'expirationDate'];
  const valid = version === '2.0' ? isDateTimeStamp : isDateTime;
  if (version === '1.1' && doc.issuanceDate === undefined) p.add('issuanceDate', 'is required by VCDM 1.1');
  for (const key of [from, until] as const) {
    if (doc[key] !== undefined && !valid(doc[key])) {
      p.add(key, `must be an XML Schema ${version === '2.0' ? 'dateTimeStamp with a time zone' : 'dateTime'}, e.g. 2026-01-01T00:00:00Z (found ${JSON.stringify(doc[key])})`);
    }
  }
  if (valid(doc[from]) && valid(doc[until]) && Date.parse(doc[until]) < Date.parse(doc[from])) p.add(until, `must not be before ${from}`);
}

/** credentialStatus, credentialSchema, evidence, termsOfUse, refreshService: objects that MUST have a type. */
function checkTypedEntries(doc: Record<string, unknown>, key: string, p: Problems, idRequired: boolean): void {
  const value = doc[key];
  if (value === null) {
    p.add(key, 'must be an object or a set of objects');
    return;
  }
  asArray(value).forEach((entry, i) => {
    const path = itemPath(key, value, i);
    if (!isObject(entry)) {
      p.add(path, 'must be an object');
      return;
    }
    checkType(entry, path, p);
    checkId(entry, path, p, idRequired);
  });
}

/** relatedResource: objects with a unique URL id and at least one of digestSRI and digestMultibase. */
function checkRelatedResources(doc: Record<string, unknown>, p: Problems): void {
  const value = doc.relatedResource;
  if (value === undefined) return;
  const seen = new Set<string>();
  asArray(value).forEach((entry, i) => {
    const path = itemPath('relatedResource', value, i);
    if (!isObject(entry)) {
      p.add(path, 'must be an object with an id and a digest');
      return;
    }
    checkId(entry, path, p, true);
    if (typeof entry.id === 'string') {
      if (seen.has(entry.id)) p.add(`${path}.id`, `must be unique among the related resources (${entry.id} appears twice)`);
      seen.add(entry.id);
    }
    if (entry.digestSRI === undefined && entry.digestMultibase === undefined) p.add(path, 'must have a digestSRI or a digestMultibase');
    if (entry.digestSRI !== undefined && !asArray(entry.digestSRI).every((d) => typeof d === 'string' && SRI.test(d)))
      p.add(`${path}.digestSRI`, 'must be a Subresource Integrity value such as sha384-…');
    if (entry.digestMultibase !== undefined && !asArray(entry.digestMultibase).every((d) => typeof d === 'string' && /^[uz]\S+$/.test(d)))
      p.add(`${path}.digestMultibase`, 'must be a multibase value (base64url "u…" or base58btc "z…")');
    if (entry.mediaType !== undefined && typeof entry.mediaType !== 'string') p.add(`${path}.mediaType`, 'must be a string');
  });
}

/** The rules both credentials and presentations share. */
function checkEnvelope(doc: Record<string, unknown>, p: Problems, required: string, versions: DataModelVersion[]): void {
  checkContext(doc, p, versions);
  checkId(doc, '', p);
  checkType(doc, '', p, required);
  checkLanguageValues(doc, '', p);
}

/**
 * Problems with a credential against the data model's MUSTs; empty when it conforms. VCDM 1.1 is accepted
 * only when `versions` includes it.
 */
export function checkCredentialDataModel(credential: unknown, options: { versions?: DataModelVersion[] } = {}): DataModelProblem[] {
  if (!isObject(credential)) return [{ path: '', message: 'a credential must be a JSON object' }];
  const versions = options.versions ?? ['2.0'];
  const p = new Problems();
  checkEnvelope(credential, p, 'VerifiableCredential', versions);
  checkIssuer(credential, p);
  checkSubjects(credential, p);
  checkValidity(credential, p, dataModelVersion(credential) ?? '2.0');
  checkTypedEntries(credential, 'credentialStatus', p, false);
  checkTypedEntries(credential, 'credentialSchema', p, true);
  checkTypedEntries(credential, 'evidence', p, false);
  checkTypedEntries(credential, 'termsOfUse', p, false);
  checkTypedEntries(credential, 'refreshService', p, false);
  checkRelatedResources(credential, p);
  if (credential.proof !== undefined) checkTypedEntries(credential, 'proof', p, false);
  return p.list;
}

/** Problems with a presentation's own envelope (its credentials are checked one by one elsewhere). */
export function checkPresentationDataModel(presentation: unknown, options: { versions?: DataModelVersion[] } = {}): DataModelProblem[] {
  if (!isObject(presentation)) return [{ path: '', message: 'a presentation must be a JSON object' }];
  const p = new Problems();
  checkEnvelope(presentation, p, 'VerifiablePresentation', options.versions ?? ['2.0']);
  const holder = presentation.holder;
  if (holder !== undefined && !isUrl(holder)) {
    if (!isObject(holder)) p.add('holder', 'must be a URL or an object whose id is a URL');
    else checkId(holder, 'holder', p, true);
  }
  const credentials = presentation.verifiableCredential;
  if (credentials === null) p.add('verifiableCredential', 'must be one or more credential objects');
  asArray(credentials).forEach((c, i) => {
    const path = itemPath('verifiableCredential', credentials, i);
    if (!isObject(c)) {
      p.add(path, 'must be a credential object (not a string, number or URL)');
      return;
    }
    const types = asArray(c.type as unknown);
    if (!types.includes('VerifiableCredential') && !types.includes('EnvelopedVerifiableCredential'))
      p.add(`${path}.type`, 'must include "VerifiableCredential" or be "EnvelopedVerifiableCredential"');
  });
  if (presentation.proof !== undefined) checkTypedEntries(presentation, 'proof', p, false);
  return p.list;
}

/** The id of an issuer or holder given as a URL or as an object with an id. */
export function idOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : isObject(value) && typeof value.id === 'string' ? value.id : undefined;
}

export function describeProblems(problems: DataModelProblem[]): string {
  return problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
}
