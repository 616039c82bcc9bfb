import { z } from 'zod';
import { dspContextList } from '../dsp-context.ts';
import { CONTEXT } from '../../vocab/namespaces.ts';
import type { NegotiationState } from './state-machine.ts';
import { toWireForm } from '../policy/wire-form.ts';

/**
 * DSP 2025-1 contract negotiation messages as the spec's JSON: `@context` an array holding only the DSP
 * context, short unprefixed terms, `@type` on every nested policy, no empty arrays.
 */

/**
 * The DID service through which two connectors of this kind exchange the signed agreement
 * (ContractAgreementCredential) beside the plain DSP messages: GET the provider's credential, PUT the
 * consumer's counter-signature. A peer that does not announce it gets plain, standard agreements.
 */
export const AGREEMENT_CREDENTIAL_SERVICE = 'AgreementCredentialService';

const nonEmpty = z.string().min(1);
const constraint: z.ZodType = z.lazy(() =>
  z.union([
    z.looseObject({
      leftOperand: z.union([nonEmpty, z.looseObject({})]),
      operator: z.union([nonEmpty, z.looseObject({})]),
      rightOperand: z.union([z.string(), z.looseObject({}), z.array(z.unknown())], { error: 'rightOperand must be a string, an object or an array' }),
    }),
    z.looseObject({ and: z.array(constraint).min(1) }),
    z.looseObject({ or: z.array(constraint).min(1) }),
    z.looseObject({ xone: z.array(constraint).min(1) }),
    z.looseObject({ andSequence: z.array(constraint).min(1) }),
  ]),
);
const rule = z.looseObject({
  action: z.union([nonEmpty, z.looseObject({})]),
  constraint: z.array(constraint).min(1).optional(),
  duty: z.array(z.looseObject({})).min(1).optional(),
});
const rules = { permission: z.array(rule).min(1).optional(), prohibition: z.array(rule).min(1).optional(), obligation: z.array(rule).min(1).optional() };

const needsRule = [(o: { permission?: unknown; prohibition?: unknown }) => !!(o.permission || o.prohibition), 'an offer needs at least one permission or prohibition'] as const;

/** An offer inside a message: it names its target. */
export const MessageOffer = z.looseObject({ '@type': z.literal('Offer'), '@id': nonEmpty, target: nonEmpty, assigner: nonEmpty.optional(), ...rules }).refine(...needsRule);
export type MessageOffer = z.infer<typeof MessageOffer>;

/** An offer inside a catalog: no target (the dataset it hangs on is the target). */
export const CatalogOffer = z.looseObject({ '@type': z.literal('Offer'), '@id': nonEmpty, ...rules }).refine(...needsRule);
export type CatalogOffer = z.infer<typeof CatalogOffer>;

export const Agreement = z
  .looseObject({
    '@type': z.literal('Agreement'),
    '@id': nonEmpty,
    target: nonEmpty,
    assigner: nonEmpty,
    assignee: nonEmpty,
    timestamp: z.iso.datetime({ offset: true }),
    ...rules,
  })
  .refine((o) => o.permission || o.prohibition, 'an agreement needs at least one permission or prohibition');
export type Agreement = z.infer<typeof Agreement>;

const envelope = <T extends string>(type: T) => ({ '@context': dspContextList, '@type': z.literal(type) });

export const INCOMING = {
  ContractRequestMessage: z.looseObject({
    ...envelope('ContractRequestMessage'),
    consumerPid: nonEmpty,
    providerPid: nonEmpty.optional(),
    offer: MessageOffer,
    callbackAddress: z.url().optional(),
  }),
  ContractOfferMessage: z.looseObject({
    ...envelope('ContractOfferMessage'),
    providerPid: nonEmpty,
    consumerPid: nonEmpty.optional(),
    offer: MessageOffer,
    callbackAddress: z.url().optional(),
  }),
  ContractAgreementMessage: z.looseObject({
    ...envelope('ContractAgreementMessage'),
    providerPid: nonEmpty,
    consumerPid: nonEmpty,
    agreement: Agreement,
    callbackAddress: z.url().optional(),
  }),
  ContractAgreementVerificationMessage: z.looseObject({ ...envelope('ContractAgreementVerificationMessage'), providerPid: nonEmpty, consumerPid: nonEmpty }),
  ContractNegotiationEventMessage: z.looseObject({
    ...envelope('ContractNegotiationEventMessage'),
    providerPid: nonEmpty,
    consumerPid: nonEmpty,
    eventType: z.enum(['ACCEPTED', 'FINALIZED']),
  }),
  ContractNegotiationTerminationMessage: z.looseObject({
    ...envelope('ContractNegotiationTerminationMessage'),
    providerPid: nonEmpty,
    consumerPid: nonEmpty,
    code: z.string().optional(),
    reason: z.array(z.unknown()).optional(),
  }),
} as const;
export type IncomingType = keyof typeof INCOMING;
export type Incoming<T extends IncomingType> = z.infer<(typeof INCOMING)[T]>;

export class MalformedMessageError extends Error {
  override name = 'MalformedMessageError';
  readonly details: string[];
  constructor(type: string, details: string[]) {
    super(`Malformed ${type}: ${details.join('; ')}`);
    this.details = details;
  }
}

/**
 * The body with its policy (offer or agreement) in this connector's wire form, so the compact and expanded
 * forms other connectors send (EDC, Tractus-X: `odrl:` keys, `{"@id": …}` terms, `action: ["use"]`, a single
 * constraint object) validate and compare alike.
 */
function inWireForm(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const message = body as Record<string, unknown>;
  const normalised = (policy: unknown) => (policy && typeof policy === 'object' && !Array.isArray(policy) ? toWireForm(policy as Record<string, unknown>) : policy);
  return {
    ...message,
    ...('offer' in message ? { offer: normalised(message.offer) } : {}),
    ...('agreement' in message ? { agreement: normalised(message.agreement) } : {}),
  };
}

/** Validates an incoming body as `type`; throws MalformedMessageError naming each field at fault. */
export function parseMessage<T extends IncomingType>(type: T, body: unknown): Incoming<T> {
  const result = INCOMING[type].safeParse(inWireForm(body));
  if (!result.success)
    throw new MalformedMessageError(
      type,
      result.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`),
    );
  return result.data as Incoming<T>;
}

const message = (type: string, fields: object) => ({ '@context': [CONTEXT.dspace], '@type': type, ...fields });
type Pids = { providerPid: string; consumerPid: string };

export function contractRequestMessage(fields: { consumerPid: string; providerPid?: string; offer: MessageOffer; callbackAddress?: string }) {
  // A counter-request names the provider's process and carries no callbackAddress (the schema's oneOf).
  const { callbackAddress, ...rest } = fields;
  return message('ContractRequestMessage', fields.providerPid ? rest : { ...rest, callbackAddress });
}

export function contractOfferMessage(fields: { providerPid: string; consumerPid?: string; offer: MessageOffer; callbackAddress?: string }) {
  const { callbackAddress, ...rest } = fields;
  return message('ContractOfferMessage', fields.consumerPid ? rest : { ...rest, callbackAddress });
}

export function contractAgreementMessage(fields: Pids & { agreement: Agreement; callbackAddress?: string }) {
  return message('ContractAgreementMessage', fields);
}

export function agreementVerificationMessage(fields: Pids) {
  return message('ContractAgreementVerificationMessage', fields);
}

export function negotiationEventMessage(fields: Pids & { eventType: 'ACCEPTED' | 'FINALIZED' }) {
  return message('ContractNegotiationEventMessage', fields);
}

export function terminationMessage(fields: Pids & { code: string; reason: string[] }) {
  return message('ContractNegotiationTerminationMessage', { ...fields, reason: fields.reason.length ? fields.reason : ['terminated'] });
}

export function contractNegotiation(fields: Pids & { state: NegotiationState }) {
  return message('ContractNegotiation', fields);
}

/** The error object; both pids are required by the schema, so an unknown one is given as the empty string. */
export function contractNegotiationError(fields: { providerPid?: string; consumerPid?: string; code: string; reason: string[] }) {
  return message('ContractNegotiationError', {
    providerPid: fields.providerPid ?? '',
    consumerPid: fields.consumerPid ?? '',
    code: fields.code,
    reason: fields.reason.length ? fields.reason : ['error'],
  });
}
