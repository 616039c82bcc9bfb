import type { RejectionCode } from './credentials/verifier.ts';

/**
 * The connector's error catalog: every stable code an API answers with, its HTTP status and what it means.
 * Codes never change meaning; clients may switch on them. Messages beside them are for people and may change.
 * docs/errors.md lists the same table (test/unit/contracts/errors.test.ts keeps the two in step).
 */
export const ERROR_CATALOG = {
  // Requests
  invalid_request: { status: 400, meaning: 'the request does not match the operation (fields, types, limits)' },
  invalid_json: { status: 400, meaning: 'the body is not JSON' },
  invalid_query: { status: 400, meaning: 'a query parameter is malformed' },
  payload_too_large: { status: 413, meaning: 'the body is larger than the endpoint accepts' },
  unsupported: { status: 400, meaning: 'the request asks for something this connector does not support' },
  not_found: { status: 404, meaning: 'no such resource (or not visible to the caller)' },
  exists: { status: 409, meaning: 'a resource with that id exists already' },
  ambiguous: { status: 409, meaning: 'several resources match; name the one meant' },
  invalid_state: { status: 409, meaning: 'the resource is not in a state that allows this action' },
  // Authentication and limits
  unauthorized: { status: 401, meaning: 'no valid credentials (API key, session, peer token)' },
  forbidden: { status: 403, meaning: 'authenticated, but not allowed to do this' },
  too_many_requests: { status: 429, meaning: 'too many failed attempts; retry after the Retry-After delay' },
  // Catalog
  invalid_dataset: { status: 400, meaning: 'the dataset fails the HealthDCAT-AP model or its SHACL shapes' },
  invalid_source: { status: 400, meaning: "the dataset's data source is not allowed (outside the data root, bad URL)" },
  offer_taken: { status: 409, meaning: 'another dataset already publishes an offer with that id' },
  invalid_offer: { status: 502, meaning: "a provider's published offer is not a valid ODRL offer" },
  provider_unavailable: { status: 502, meaning: "the dataset's provider could not be reached or answered no valid dataset" },
  // Trust
  invalid_credential: { status: 400, meaning: 'the credential does not verify (proof, issuer, dates, status)' },
  malformed_credential: { status: 400, meaning: 'the credential is not a well-formed verifiable credential' },
  invalid_issuer: { status: 400, meaning: 'the issuer is not this authority or not trusted' },
  invalid_scope: { status: 400, meaning: 'a DCP scope is malformed or unknown' },
  invalid_presentation_definition: { status: 400, meaning: 'a DCP presentation definition is malformed or uses what is not supported' },
  not_a_member: { status: 400, meaning: 'the DID is not a member of the dataspace' },
  not_an_authority: { status: 400, meaning: 'this connector is not a governance authority' },
  authority_refused: { status: 502, meaning: 'the authority refused the request' },
  authority_garbage: { status: 502, meaning: 'the authority answered something that is not a valid answer' },
  authority_unreachable: { status: 502, meaning: 'the authority could not be reached' },
  delivery_timeout: { status: 504, meaning: 'the issuer accepted the credential request but its delivery did not arrive in time' },
  // Data plane
  integrity: { status: 400, meaning: 'received data does not match its digest or length' },
  agreement_refused: { status: 403, meaning: 'the agreement no longer allows this transfer (the reasons say why)' },
  // Anything else
  internal_error: { status: 500, meaning: 'an unexpected error; the request id finds it in the server log' },
} as const satisfies Record<string, { status: number; meaning: string }>;

/** A credential refused for a verifier's reason (422): `credential_expired`, `credential_revoked`, ... */
export type CredentialRefusalCode = `credential_${RejectionCode}`;

export type ErrorCode = keyof typeof ERROR_CATALOG | CredentialRefusalCode;

/**
 * DSP error objects (CatalogError, ContractNegotiationError, TransferError) carry the HTTP status as their
 * `code` and one reason per problem; these are the statuses they use.
 */
export const DSP_ERROR_STATUSES = {
  400: 'malformed message, or a message that does not fit the process state (naming both pids)',
  401: 'no valid self-issued ID token',
  403: 'authenticated, but not allowed (e.g. the presentation failed)',
  404: 'unknown process id (or another party\u2019s)',
  409: 'the process changed while the message was applied; send it again',
  413: 'the message is larger than accepted',
  429: 'too many failed authentications; retry later',
} as const;
