import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunningConnector } from '../../connector/server.ts';
import { negotiationStore } from '../../connector/storage/negotiation-store.ts';
import { newNegotiation, newPid } from '../../connector/negotiation/negotiation-steps.ts';
import type { Agreement, MessageOffer } from '../../contracts/negotiation/messages.ts';
import { TCK_PARTICIPANT, testsOf, type TckSettings } from './settings.ts';

const USE = [{ action: 'use' }];
const SOURCE = 'tck-payload.txt';

/** The example cohort's HealthDCAT-AP description, as the datasets' metadata (the TCK reads only ids and offers). */
const EXAMPLE = JSON.parse(readFileSync(new URL('../../examples/datasets/diabetes-cohort.json', import.meta.url), 'utf8')) as Record<string, unknown>;

/** A dataset whose one offer, `offerId`, permits use and asks nothing. */
function datasetInput(title: string, offerId: string) {
  return {
    ...EXAMPLE,
    title: { en: `TCK dataset ${title}` },
    description: { en: `Seeded by the DSP TCK fixture for the scenarios that name ${title}.` },
    source: { kind: 'file', path: SOURCE },
    offers: [{ '@type': 'Offer', '@id': offerId, permission: USE }],
    visibility: 'public',
    // Every request waits for the fixture's scripted decision (offer, agree, terminate or nothing).
    requiresApproval: true,
  };
}

/** Stores a FINALIZED negotiation holding agreement `agreementId` (ids exactly as the TCK gives them). */
async function seedAgreement(connector: RunningConnector, agreementId: string, role: 'provider' | 'consumer', datasetId: string, tckAddress: string) {
  const store = negotiationStore(connector.ctx.database.db);
  if (await store.agreement(agreementId)) return;
  const [providerDid, consumerDid] = role === 'provider' ? [connector.did, TCK_PARTICIPANT] : [TCK_PARTICIPANT, connector.did];
  const offer = { '@type': 'Offer', '@id': `offer${agreementId}`, target: datasetId, permission: USE } as MessageOffer;
  const agreement = {
    '@type': 'Agreement',
    '@id': agreementId,
    target: datasetId,
    assigner: providerDid,
    assignee: consumerDid,
    timestamp: new Date().toISOString(),
    permission: USE,
  } as Agreement;
  const id = newPid();
  const n = newNegotiation(
    {
      id,
      role,
      consumerPid: role === 'consumer' ? id : newPid(),
      providerPid: role === 'provider' ? id : newPid(),
      state: 'FINALIZED',
      counterpartyDid: TCK_PARTICIPANT,
      counterpartyAddress: tckAddress,
      offer,
      lastMessage: 'ContractNegotiationEventMessage:FINALIZED',
      pending: null,
      nextAction: null,
    },
    365 * 86_400_000,
  );
  await store.transaction(async (trx) => {
    await store.insert(trx, { ...n, agreementId });
    await store.insertAgreement(trx, {
      id: agreementId,
      negotiationId: id,
      role,
      providerDid,
      consumerDid,
      datasetId,
      agreement,
      credential: null,
      counterSigned: false,
      consumerCredentials: [],
    });
  });
}

/**
 * Seeds what the TCK's scenarios expect to find (README §6.3b): the catalog datasets CAT_01_01/02 (never
 * CAT_01_03's), a dataset with its offer for every CN test, and FINALIZED agreements with TCK_PARTICIPANT
 * for every TP (provider) and TP_C (consumer) test. Returns the dataset id agreements target.
 */
export async function seedTck(connector: RunningConnector, settings: TckSettings): Promise<void> {
  const { catalog } = connector.services;
  mkdirSync(connector.ctx.config.dataRoot, { recursive: true });
  writeFileSync(join(connector.ctx.config.dataRoot, SOURCE), 'payload of the DSP TCK fixture\n');
  const register = async (datasetId: string, offerId: string) => {
    if (!(await catalog.store.get(datasetId))) await catalog.register(datasetInput(datasetId, offerId), undefined, datasetId);
  };
  const catalogIds = testsOf(settings, 'CAT')
    .filter(([key]) => key !== 'CAT_01_03')
    .map(([, ids]) => ids.DATASETID)
    .filter((id): id is string => !!id);
  for (const id of catalogIds) await register(id, `offer:${id}`);
  for (const [, ids] of testsOf(settings, 'CN')) if (ids.DATASETID) await register(ids.DATASETID, ids.OFFERID ?? `offer:${ids.DATASETID}`);
  const target = catalogIds[0] ?? 'TCK-TRANSFERS';
  if (!catalogIds.length) await register(target, `offer:${target}`);
  const tck = settings.callbackAddress.href.replace(/\/+$/, '');
  for (const [, ids] of testsOf(settings, 'TP')) if (ids.AGREEMENTID) await seedAgreement(connector, ids.AGREEMENTID, 'provider', target, tck);
  for (const [, ids] of testsOf(settings, 'TP_C')) if (ids.AGREEMENTID) await seedAgreement(connector, ids.AGREEMENTID, 'consumer', target, tck);
}
