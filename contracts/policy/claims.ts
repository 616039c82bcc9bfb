import type { VerifiedCredential } from '../credentials/model.ts';
import { migrateHealthCategory } from '../../vocab/eu-vocabularies.ts';
import { shortTerm } from './vocabulary.ts';

/** A data permit as a policy sees it: what it covers and for how long. */
export interface PermitClaims {
  issuer: string;
  purposes: string[];
  datasets: string[];
  healthCategories: string[];
  validFrom?: string;
  validUntil?: string;
}

/** The facts about a consumer that constraints are evaluated against, read from its verified credentials. */
export interface ConsumerClaims {
  role?: string;
  country?: string;
  membershipStatus?: string;
  organizationType?: string;
  dataProtectionRole?: string;
  legalName?: string;
  credentialTypes: string[];
  issuers: string[];
  permits: PermitClaims[];
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function claimsOf(credentials: VerifiedCredential[], holder: string): ConsumerClaims {
  const own = credentials.filter((c) => c.credentialSubject.id === holder);
  const participant = own.find((c) => c.type.includes('ParticipantCredential'))?.credentialSubject;
  return {
    role: text(participant?.dataspaceRole),
    country: text(participant?.headquartersCountry),
    membershipStatus: text(participant?.membershipStatus),
    organizationType: text(participant?.organizationType),
    dataProtectionRole: text(participant?.dataProtectionRole),
    legalName: text(participant?.legalName),
    credentialTypes: [...new Set(own.flatMap((c) => c.type).filter((t) => t !== 'VerifiableCredential'))],
    issuers: [...new Set(own.map((c) => c.issuer))],
    permits: own
      .filter((c) => c.type.includes('DataPermitCredential') && c.credentialSubject.permitIssued === true)
      .map((c) => ({
        issuer: c.issuer,
        purposes: strings(c.credentialSubject.purposes).map(shortTerm),
        datasets: strings(c.credentialSubject.datasets),
        // A permit naming a category by the IRI used before the EU vocabulary still covers it.
        healthCategories: strings(c.credentialSubject.healthCategories).map((category) => shortTerm(migrateHealthCategory(category))),
        ...(c.validFrom ? { validFrom: c.validFrom } : {}),
        ...(c.validUntil ? { validUntil: c.validUntil } : {}),
      })),
  };
}

/** Permits valid at `now` that cover the dataset, by its IRI or one of its health categories. */
export function permitsFor(claims: ConsumerClaims, datasetId: string, healthCategories: string[], now: Date): PermitClaims[] {
  const categories = healthCategories.map((category) => shortTerm(migrateHealthCategory(category)));
  return claims.permits.filter(
    (p) =>
      (!p.validFrom || Date.parse(p.validFrom) <= now.getTime()) &&
      (!p.validUntil || Date.parse(p.validUntil) >= now.getTime()) &&
      (p.datasets.includes(datasetId) || p.healthCategories.some((c) => categories.includes(c))),
  );
}
