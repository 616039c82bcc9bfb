import type { DspFetch } from '../http/dsp-client.ts';

/** What a sender knows of one of its DSP processes (negotiation or transfer) to read the peer's side of it. */
export interface PeerProcess {
  role: 'provider' | 'consumer';
  providerPid: string | null;
  consumerPid: string | null;
  counterpartyAddress: string;
  counterpartyDid: string;
}

/**
 * After a peer refused one of our messages: reads the peer's process (`GET <address>/<collection>/<its pid>`)
 * and answers "delivered" when the peer is in one of the states `reached` (it applied the message and our
 * sender lost its answer), "refused" otherwise or when the peer's state cannot be read.
 */
export async function peerIsPast(
  dspFetch: DspFetch,
  process: PeerProcess | undefined,
  collection: 'negotiations' | 'transfers',
  reached: readonly string[],
): Promise<'delivered' | 'refused'> {
  const peerPid = process && (process.role === 'provider' ? process.consumerPid : process.providerPid);
  if (!process || !peerPid) return 'refused';
  const url = `${process.counterpartyAddress.replace(/\/+$/, '')}/${collection}/${encodeURIComponent(peerPid)}`;
  const response = await dspFetch({ url, audienceDid: process.counterpartyDid, method: 'GET' });
  if (!response.ok) return 'refused';
  const state = ((await response.json().catch(() => ({}))) as { state?: unknown }).state;
  return typeof state === 'string' && reached.includes(state) ? 'delivered' : 'refused';
}
