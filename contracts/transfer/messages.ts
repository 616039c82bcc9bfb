import { z } from 'zod';
import { dspContextList } from '../dsp-context.ts';
import { CONTEXT } from '../../vocab/namespaces.ts';
import type { TransferState } from './state-machine.ts';

/** DSP 2025-1 transfer process messages as the spec's JSON, and validators for incoming ones. */
export const TRANSFER_FORMATS = ['HttpData-PULL', 'HttpData-PUSH'] as const;
export type TransferFormat = (typeof TRANSFER_FORMATS)[number];
export const HTTP_ENDPOINT_TYPE = 'https://w3id.org/idsa/v4.1/HTTP';

const nonEmpty = z.string().min(1);
export const DataAddress = z.looseObject({
  '@type': z.literal('DataAddress'),
  endpointType: nonEmpty,
  endpoint: z.url({ protocol: /^https?$/ }),
  endpointProperties: z
    .array(z.looseObject({ '@type': z.literal('EndpointProperty'), name: nonEmpty, value: z.string() }))
    .min(1)
    .optional(),
});
export type DataAddress = z.infer<typeof DataAddress>;

const envelope = <T extends string>(type: T) => ({ '@context': dspContextList, '@type': z.literal(type) });
const reasons = { code: z.string().optional(), reason: z.array(z.unknown()).optional() };

export const TRANSFER_INCOMING = {
  TransferRequestMessage: z.looseObject({
    ...envelope('TransferRequestMessage'),
    consumerPid: nonEmpty,
    agreementId: nonEmpty,
    format: nonEmpty,
    dataAddress: DataAddress.optional(),
    callbackAddress: z.url(),
  }),
  TransferStartMessage: z.looseObject({ ...envelope('TransferStartMessage'), providerPid: nonEmpty, consumerPid: nonEmpty, dataAddress: DataAddress.optional() }),
  TransferSuspensionMessage: z.looseObject({ ...envelope('TransferSuspensionMessage'), providerPid: nonEmpty, consumerPid: nonEmpty, ...reasons }),
  TransferCompletionMessage: z.looseObject({ ...envelope('TransferCompletionMessage'), providerPid: nonEmpty, consumerPid: nonEmpty }),
  TransferTerminationMessage: z.looseObject({ ...envelope('TransferTerminationMessage'), providerPid: nonEmpty, consumerPid: nonEmpty, ...reasons }),
} as const;
export type TransferIncomingType = keyof typeof TRANSFER_INCOMING;
export type TransferIncoming<T extends TransferIncomingType> = z.infer<(typeof TRANSFER_INCOMING)[T]>;

export class MalformedTransferMessage extends Error {
  override name = 'MalformedTransferMessage';
}

export function parseTransferMessage<T extends TransferIncomingType>(type: T, body: unknown): TransferIncoming<T> {
  const result = TRANSFER_INCOMING[type].safeParse(body);
  if (!result.success)
    throw new MalformedTransferMessage(`Malformed ${type}: ${result.error.issues.map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`).join('; ')}`);
  return result.data as TransferIncoming<T>;
}

type Pids = { providerPid: string; consumerPid: string };
const message = (type: string, fields: object) => ({ '@context': [CONTEXT.dspace], '@type': type, ...fields });

/** A DataAddress for an HTTP endpoint reached with a bearer token. */
export function httpDataAddress(endpoint: string, token: string): DataAddress {
  return {
    '@type': 'DataAddress',
    endpointType: HTTP_ENDPOINT_TYPE,
    endpoint,
    endpointProperties: [
      { '@type': 'EndpointProperty', name: 'authorization', value: token },
      { '@type': 'EndpointProperty', name: 'authType', value: 'bearer' },
    ],
  };
}

export function tokenOf(address: DataAddress | undefined): string | undefined {
  return address?.endpointProperties?.find((p) => p.name === 'authorization')?.value;
}

export const transferRequestMessage = (fields: { consumerPid: string; agreementId: string; format: TransferFormat; callbackAddress: string; dataAddress?: DataAddress }) =>
  message('TransferRequestMessage', fields);
export const transferStartMessage = (fields: Pids & { dataAddress?: DataAddress }) => message('TransferStartMessage', fields);
export const transferSuspensionMessage = (fields: Pids & { code: string; reason: string[] }) =>
  message('TransferSuspensionMessage', { ...fields, reason: fields.reason.length ? fields.reason : ['suspended'] });
export const transferCompletionMessage = (fields: Pids) => message('TransferCompletionMessage', fields);
export const transferTerminationMessage = (fields: Pids & { code: string; reason: string[] }) =>
  message('TransferTerminationMessage', { ...fields, reason: fields.reason.length ? fields.reason : ['terminated'] });
export const transferProcess = (fields: Pids & { state: TransferState }) => message('TransferProcess', fields);
export const transferError = (fields: { providerPid?: string; consumerPid?: string; code: string; reason: string[] }) =>
  message('TransferError', {
    providerPid: fields.providerPid ?? '',
    consumerPid: fields.consumerPid ?? '',
    code: fields.code,
    reason: fields.reason.length ? fields.reason : ['error'],
  });
