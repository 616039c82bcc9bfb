import { CONTEXT } from '../../vocab/namespaces.ts';

/** The credential types this dataspace issues, defined in the project's own JSON-LD context. */
export const CREDENTIAL_TYPE = {
  participant: 'ParticipantCredential',
  dataPermit: 'DataPermitCredential',
  agreement: 'ContractAgreementCredential',
  statusList: 'BitstringStatusListCredential',
  /** The W3C CCG StatusList2021 list, as the DCP profile vc11-sl2021 (EDC, the DCP TCK) uses it. */
  statusList2021: 'StatusList2021Credential',
} as const;

export const DATASPACE_ROLES = ['hospital', 'research-institute', 'governance-authority'] as const;
export type DataspaceRole = (typeof DATASPACE_ROLES)[number];

/** Gaia-X registration number kinds. */
export const REGISTRATION_KINDS = ['vatID', 'leiCode', 'EORI', 'EUID', 'taxID', 'local'] as const;
export type RegistrationKind = (typeof REGISTRATION_KINDS)[number];

export interface CredentialStatusEntry {
  id: string;
  /** StatusList2021Entry carries the same fields (W3C CCG StatusList2021, the predecessor of Bitstring Status List). */
  type: 'BitstringStatusListEntry' | 'StatusList2021Entry';
  statusPurpose: 'revocation' | 'suspension';
  statusListIndex: string;
  statusListCredential: string;
}

export interface Proof {
  type: string;
  cryptosuite?: string;
  verificationMethod: string;
  proofPurpose: string;
  proofValue: string;
  created?: string;
  challenge?: string;
  domain?: string;
}

/** A VC 2.0 credential as JSON (compacted with the credentials v2 context first). */
export interface VerifiableCredential {
  '@context': string[];
  id?: string;
  type: string[];
  issuer: string | { id: string; [key: string]: unknown };
  validFrom?: string;
  validUntil?: string;
  credentialSubject: CredentialSubject | CredentialSubject[];
  credentialStatus?: CredentialStatusEntry | CredentialStatusEntry[];
  proof?: Proof | Proof[];
  [key: string]: unknown;
}

export type CredentialSubject = Record<string, unknown> & { id?: string };

export interface VerifiablePresentation {
  '@context': string[];
  id?: string;
  type: string[];
  holder?: string | { id: string; [key: string]: unknown };
  verifiableCredential?: VerifiableCredential[];
  proof?: Proof | Proof[];
}

/** What policies see of a credential once every check has passed. */
export interface VerifiedCredential {
  id?: string;
  type: string[];
  issuer: string;
  validFrom?: string;
  validUntil?: string;
  credentialSubject: CredentialSubject & { id: string };
}

export interface ParticipantClaims {
  legalName: string;
  registrationNumber: { kind: RegistrationKind; value: string };
  /** ISO 3166-1 alpha-2. */
  headquartersCountry: string;
  dataspaceRole: DataspaceRole;
  membershipStatus: 'active' | 'suspended';
  organizationType?: string;
  dataProtectionRole?: 'controller' | 'processor';
}

export interface DataPermitClaims {
  permitId: string;
  projectId: string;
  /** EHDS secondary-use purposes (IRIs or short names). */
  purposes: string[];
  /** Dataset IRIs the permit covers. */
  datasets?: string[];
  /** Health categories the permit covers, for datasets not named one by one. */
  healthCategories?: string[];
  permitIssued: true;
}

export const CREDENTIAL_CONTEXTS = [CONTEXT.credentialsV2, CONTEXT.connectorV1];

export function issuerId(credential: Pick<VerifiableCredential, 'issuer'>): string {
  return typeof credential.issuer === 'string' ? credential.issuer : credential.issuer?.id;
}

export function subjectsOf(credential: Pick<VerifiableCredential, 'credentialSubject'>): CredentialSubject[] {
  return Array.isArray(credential.credentialSubject) ? credential.credentialSubject : [credential.credentialSubject];
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** An unsigned credential of one of the project's types, ready for issueCredential. */
export function unsignedCredential(options: {
  type: string;
  issuer: string;
  subjectId: string;
  claims: object;
  validFrom?: string;
  validUntil?: string;
  id?: string;
}): VerifiableCredential {
  return {
    '@context': [...CREDENTIAL_CONTEXTS],
    id: options.id ?? `urn:uuid:${crypto.randomUUID()}`,
    type: ['VerifiableCredential', options.type],
    issuer: options.issuer,
    validFrom: options.validFrom ?? new Date().toISOString(),
    ...(options.validUntil ? { validUntil: options.validUntil } : {}),
    credentialSubject: { id: options.subjectId, ...options.claims },
  };
}

/** The plain view of a credential that passed verification. */
export function toVerified(credential: VerifiableCredential): VerifiedCredential {
  const [subject] = subjectsOf(credential);
  return {
    ...(credential.id ? { id: credential.id } : {}),
    type: credential.type,
    issuer: issuerId(credential),
    ...(credential.validFrom ? { validFrom: credential.validFrom } : {}),
    ...(credential.validUntil ? { validUntil: credential.validUntil } : {}),
    credentialSubject: subject as CredentialSubject & { id: string },
  };
}
