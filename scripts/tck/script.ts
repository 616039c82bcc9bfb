/**
 * What the connector under test must do in each TCK scenario (../shared/specs/dsp-tck/README.md §6.4, the
 * same table EDC's and TRUE's fixtures implement), keyed by the TCK's test key. The fixture looks the
 * test up by the ids the properties file gives it (dataset, offer or agreement id).
 */

/** Provider, each time a request waits for a decision (the initial request, then each counter-request). */
export type OnRequested = 'offer' | 'agree' | 'terminate' | 'nothing' | 'offer-then-terminate';

export interface ProviderNegotiationScript {
  requested: OnRequested[];
  /** When the consumer accepted our offer: agree (default), terminate, or do nothing yet. */
  accepted?: 'agree' | 'terminate' | 'nothing';
  /** When the consumer verified the agreement: finalize (default) or terminate. */
  verified?: 'finalize' | 'terminate';
}

export const PROVIDER_NEGOTIATIONS: Record<string, ProviderNegotiationScript> = {
  CN_01_01: { requested: ['offer'] },
  CN_01_02: { requested: ['offer', 'terminate'] },
  CN_01_03: { requested: ['offer'] },
  CN_01_04: { requested: ['agree'] },
  CN_02_01: { requested: ['terminate'] },
  CN_02_02: { requested: ['nothing'] },
  CN_02_03: { requested: ['agree'] },
  CN_02_04: { requested: ['offer'] },
  CN_02_05: { requested: ['offer-then-terminate'] },
  CN_02_06: { requested: ['offer'], accepted: 'terminate' },
  CN_02_07: { requested: ['agree'], verified: 'terminate' },
  CN_03_01: { requested: ['agree'] },
  CN_03_02: { requested: ['offer'] },
  CN_03_03: { requested: ['offer'], accepted: 'nothing' },
  CN_03_04: { requested: ['offer', 'nothing'] },
};

export interface ConsumerNegotiationScript {
  /** Once the provider's pid is known, while still REQUESTED. */
  requested?: 'terminate';
  offered?: 'accept' | 'counter' | 'terminate' | 'nothing';
  agreed?: 'verify' | 'terminate' | 'nothing';
}

export const CONSUMER_NEGOTIATIONS: Record<string, ConsumerNegotiationScript> = {
  CN_C_01_01: { offered: 'accept', agreed: 'verify' },
  CN_C_01_02: { offered: 'counter' },
  CN_C_01_03: { offered: 'terminate' },
  CN_C_01_04: { agreed: 'verify' },
  CN_C_02_01: {},
  CN_C_02_02: { requested: 'terminate' },
  CN_C_02_03: { agreed: 'terminate' },
  CN_C_02_04: { offered: 'nothing' },
  CN_C_02_05: { offered: 'accept' },
  CN_C_02_06: { agreed: 'verify' },
  CN_C_03_01: {},
  CN_C_03_02: { offered: 'nothing' },
  CN_C_03_03: { offered: 'nothing' },
  CN_C_03_04: { offered: 'accept' },
  CN_C_03_05: { offered: 'accept' },
  CN_C_03_06: { offered: 'accept', agreed: 'nothing' },
};

export type TransferStep = 'terminate' | 'complete' | 'suspend' | 'resume';

export interface ProviderTransferScript {
  /** On the request: start (default), keep it REQUESTED, or terminate it. */
  requested: 'start' | 'nothing' | 'terminate';
  /** Once started, one after the other. */
  started?: TransferStep[];
}

export const PROVIDER_TRANSFERS: Record<string, ProviderTransferScript> = {
  TP_01_01: { requested: 'start', started: ['terminate'] },
  TP_01_02: { requested: 'start', started: ['complete'] },
  TP_01_03: { requested: 'start', started: ['suspend', 'terminate'] },
  TP_01_04: { requested: 'start', started: ['suspend', 'resume', 'complete'] },
  TP_01_05: { requested: 'terminate' },
  TP_02_01: { requested: 'start' },
  TP_02_02: { requested: 'start' },
  TP_02_03: { requested: 'start' },
  TP_02_04: { requested: 'start' },
  TP_02_05: { requested: 'nothing' },
  TP_03_01: { requested: 'nothing' },
  TP_03_02: { requested: 'nothing' },
  TP_03_03: { requested: 'start' },
  TP_03_04: { requested: 'start' },
  TP_03_05: { requested: 'start' },
  TP_03_06: { requested: 'start' },
};

export interface ConsumerTransferScript {
  /** Once the provider's pid is known, while still REQUESTED. */
  requested?: 'terminate';
  /** Once the provider started it (the fixture never pulls: the TCK's data address is a placeholder). */
  started?: TransferStep[];
}

export const CONSUMER_TRANSFERS: Record<string, ConsumerTransferScript> = {
  TP_C_02_01: { started: ['terminate'] },
  TP_C_02_02: { started: ['complete'] },
  TP_C_02_03: { started: ['suspend', 'terminate'] },
  TP_C_02_05: { requested: 'terminate' },
};
