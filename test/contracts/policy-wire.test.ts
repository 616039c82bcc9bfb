import { readFileSync } from 'node:fs';
import jsonld from 'jsonld';
import { describe, expect, it } from 'vitest';
import { contractRequestMessage } from '../../contracts/negotiation/messages.ts';
import { permitBoundResearchOffer } from '../../contracts/policy/templates.ts';
import { HDC_LEFT_OPERANDS, ODRL_PROFILE, PROVIDER_OBLIGATIONS, hdc } from '../../contracts/policy/terms.ts';
import { OPERANDS } from '../../contracts/policy/constraints.ts';
import { sameTerms } from '../../contracts/policy/canonical.ts';
import { toWireForm } from '../../contracts/policy/wire-form.ts';
import { bundledContext } from '../../vocab/contexts.ts';
import { offlineDocumentLoader } from '../../vocab/document-loader.ts';
import { CONTEXT, NS } from '../../vocab/namespaces.ts';
import { dspSchemaErrors } from '../support/dsp-schemas.ts';

/**
 * What the connector publishes reads the same to any JSON-LD processor: a published offer, expanded with the
 * bundled DSP context alone, names every left operand, operator and action by an absolute ODRL or profile IRI.
 */

const ODRL_TERMS = [`${NS.odrl}leftOperand`, `${NS.odrl}operator`, `${NS.odrl}action`];
const offer = permitBoundResearchOffer({ id: 'urn:uuid:offer-1', purposes: ['scientific-research'], months: 12, target: 'urn:uuid:dataset-1' });
const example = JSON.parse(readFileSync(new URL('../../examples/datasets/diabetes-cohort.json', import.meta.url), 'utf8'));

/** Every value of odrl:leftOperand, odrl:operator and odrl:action in an expanded document, and where. */
function termValues(node: unknown, found: { property: string; value: unknown }[] = []): { property: string; value: unknown }[] {
  if (Array.isArray(node)) node.forEach((n) => termValues(n, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (ODRL_TERMS.includes(key)) for (const v of value as unknown[]) found.push({ property: key, value: (v as any)['@id'] ?? v });
      termValues(value, found);
    }
  }
  return found;
}

const expand = (doc: unknown) => jsonld.expand(doc as any, { documentLoader: offlineDocumentLoader as any, base: 'https://base.invalid/document' });
const isOurs = (iri: unknown) => typeof iri === 'string' && (iri.startsWith(NS.odrl) || iri.startsWith(NS.hdc));

describe('a published offer on the wire', () => {
  it('is valid against the DSP ContractRequestMessage schema, with its profile declared', () => {
    const message = contractRequestMessage({ consumerPid: 'urn:uuid:c1', offer, callbackAddress: 'https://consumer.example/dsp' });
    expect(dspSchemaErrors('negotiation/contract-request-message-schema.json', message)).toEqual([]);
    expect(offer.profile).toBe(ODRL_PROFILE);
  });

  it('expands with the DSP context alone to absolute ODRL and profile IRIs for every left operand, operator and action', async () => {
    const message = contractRequestMessage({ consumerPid: 'urn:uuid:c1', offer, callbackAddress: 'https://consumer.example/dsp' });
    expect(message['@context']).toEqual([CONTEXT.dspace]);
    const values = termValues(await expand(message));
    expect(values).toHaveLength(14);
    expect(values.filter((v) => !isOurs(v.value))).toEqual([]);
    expect(values.map((v) => v.value)).toEqual(
      expect.arrayContaining([`${NS.odrl}use`, `${NS.odrl}delete`, `${NS.odrl}purpose`, `${NS.odrl}elapsedTime`, `${NS.odrl}isAnyOf`, hdc('dataPermit')]),
    );
  });

  it("the example dataset's offer too, as it sits in a DSP catalog Dataset", async () => {
    const dataset = { '@context': [CONTEXT.dspace], '@type': 'Dataset', '@id': 'urn:uuid:dataset-1', hasPolicy: example.offers };
    const values = termValues(await expand(dataset));
    expect(values.length).toBeGreaterThan(10);
    expect(values.filter((v) => !isOurs(v.value))).toEqual([]);
  });

  it('expands the same after documents of other DSP types (a shared @import context was mutated by jsonld.js)', async () => {
    const message = contractRequestMessage({ consumerPid: 'urn:uuid:c1', offer, callbackAddress: 'https://consumer.example/dsp' });
    const dataset = { '@context': [CONTEXT.dspace], '@type': 'Dataset', '@id': 'urn:uuid:d', hasPolicy: example.offers };
    const first = await expand(message);
    for (let i = 0; i < 3; i++) {
      await expand(dataset);
      expect(await expand(message)).toEqual(first);
    }
  });

  it('the bare names of before expanded to document-relative IRIs: the defect this profile removes', async () => {
    const old = {
      '@context': [CONTEXT.dspace],
      '@type': 'Dataset',
      '@id': 'urn:uuid:d',
      hasPolicy: [{ '@type': 'Offer', '@id': 'urn:uuid:o', permission: [{ action: 'delete', constraint: [{ leftOperand: 'dataPermit', operator: 'eq', rightOperand: 'true' }] }] }],
    };
    expect(termValues(await expand(old)).map((v) => v.value)).toEqual(['https://base.invalid/delete', 'https://base.invalid/dataPermit', `${NS.odrl}eq`]);
  });
});

describe('the profile document (vocab/contexts/odrl-profile-v1.jsonld)', () => {
  const profile = bundledContext(ODRL_PROFILE) as { '@context': Record<string, unknown>; '@graph': { '@id': string; '@type': string }[] };
  const described = new Map(profile['@graph'].map((t) => [t['@id'].replace(/^hdc:/, NS.hdc), t['@type']]));
  const ownOperands = Object.keys(OPERANDS).filter((iri) => iri.startsWith(NS.hdc));

  it('is served offline at the profile IRI and describes every profile term the engine knows', () => {
    expect(ownOperands.sort()).toEqual(HDC_LEFT_OPERANDS.map(hdc).sort());
    for (const iri of [...ownOperands, ...Object.values(PROVIDER_OBLIGATIONS).flat()]) expect(described.get(iri), iri).toBe('odrl:LeftOperand');
    for (const iri of Object.keys(PROVIDER_OBLIGATIONS)) expect(described.get(iri), iri).toBe('odrl:Action');
    expect(described.get(ODRL_PROFILE)).toBe('odrl:Profile');
  });

  it("is a context too: with it beside DSP's, the bare profile names expand to the same IRIs", async () => {
    const doc = {
      '@context': [CONTEXT.dspace, ODRL_PROFILE],
      '@type': 'Dataset',
      '@id': 'urn:uuid:d',
      hasPolicy: [
        {
          '@type': 'Offer',
          '@id': 'urn:uuid:o',
          permission: [
            {
              action: 'use',
              constraint: [
                { leftOperand: 'dataPermit', operator: 'eq', rightOperand: 'true' },
                { leftOperand: 'inForceDate', operator: 'lteq', rightOperand: 'contractAgreement+30d' },
              ],
            },
          ],
        },
      ],
    };
    expect(termValues(await expand(doc)).map((v) => v.value)).toEqual([
      `${NS.odrl}use`,
      hdc('dataPermit'),
      `${NS.odrl}eq`,
      'https://w3id.org/edc/v0.0.1/ns/inForceDate',
      `${NS.odrl}lteq`,
    ]);
  });

  it('and docs/odrl-profile.md describes each term', () => {
    const doc = readFileSync(new URL('../../docs/odrl-profile.md', import.meta.url), 'utf8');
    for (const iri of [...ownOperands, ...Object.keys(PROVIDER_OBLIGATIONS), ...Object.values(PROVIDER_OBLIGATIONS).flat()])
      expect(doc, iri).toContain(`hdc:${iri.slice(NS.hdc.length)}`);
  });
});

describe("a peer's policy rewritten into the connector's wire form (toWireForm)", () => {
  it("leaves the connector's own offer as it is", () => {
    expect(toWireForm(offer)).toEqual(offer);
    expect(toWireForm(example.offers[0])).toEqual(example.offers[0]);
  });

  it('turns the expanded JSON-LD of a published offer back into the same terms, valid against the DSP schema', async () => {
    const message = contractRequestMessage({ consumerPid: 'urn:uuid:c1', offer, callbackAddress: 'https://consumer.example/dsp' });
    const [expanded] = (await expand(message)) as any[];
    const back = toWireForm(expanded[`${NS.dspace}offer`][0]);
    expect(sameTerms(back, offer)).toBe(true);
    expect(back).toMatchObject({ '@type': 'Offer', '@id': offer['@id'], target: offer.target, profile: ODRL_PROFILE });
    expect(dspSchemaErrors('negotiation/contract-request-message-schema.json', { ...message, offer: back })).toEqual([]);
  });

  it('keeps IRI and typed-literal right operands (release rules), from the expanded form too', async () => {
    const released = { ...example.offers[0], target: 'urn:uuid:d' };
    const message = contractRequestMessage({ consumerPid: 'urn:uuid:c1', offer: released, callbackAddress: 'https://consumer.example/dsp' });
    const [expanded] = (await expand(message)) as any[];
    const back = toWireForm(expanded[`${NS.dspace}offer`][0]);
    expect(sameTerms(back, released)).toBe(true);
    const operands = (back.obligation as any[]).flatMap((o) => o.constraint.map((c: any) => c.rightOperand));
    expect(operands).toContainEqual({ '@id': `${NS.hdc}MiiBroadConsent` });
    expect(operands).toContainEqual({ '@value': 30, '@type': `${NS.xsd}integer` });
    expect(toWireForm({ permission: [{ action: 'use', constraint: [{ leftOperand: 'purpose', operator: 'eq', rightOperand: [{ '@value': 'research' }] }] }] })).toMatchObject({
      permission: [{ constraint: [{ rightOperand: 'research' }] }],
    });
  });

  it('rewrites the odrl:-prefixed form with {"@id"} terms and a single constraint object', () => {
    const prefixed = {
      '@type': 'odrl:Offer',
      '@id': 'urn:uuid:o2',
      'odrl:target': { '@id': 'urn:uuid:d' },
      'odrl:permission': {
        'odrl:action': { '@id': 'odrl:use' },
        'odrl:constraint': {
          'odrl:and': [
            { 'odrl:leftOperand': { '@id': 'odrl:purpose' }, 'odrl:operator': { '@id': 'odrl:isAnyOf' }, 'odrl:rightOperand': ['scientific-research'] },
            { 'odrl:leftOperand': 'edc:inForceDate', 'odrl:operator': 'odrl:lteq', 'odrl:rightOperand': { '@value': 'contractAgreement+30d' } },
          ],
        },
      },
    };
    expect(toWireForm(prefixed)).toEqual({
      '@type': 'Offer',
      '@id': 'urn:uuid:o2',
      target: 'urn:uuid:d',
      permission: [
        {
          action: 'use',
          constraint: [
            {
              and: [
                { leftOperand: 'odrl:purpose', operator: 'isAnyOf', rightOperand: ['scientific-research'] },
                { leftOperand: 'https://w3id.org/edc/v0.0.1/ns/inForceDate', operator: 'lteq', rightOperand: 'contractAgreement+30d' },
              ],
            },
          ],
        },
      ],
    });
  });

  it('keeps a term it does not know as it came, so evaluation refuses it by name', () => {
    expect(
      toWireForm({
        permission: [{ action: 'use', constraint: [{ leftOperand: 'cx-policy:FrameworkAgreement', operator: { '@id': 'odrl:eq' }, rightOperand: 'DataExchangeGovernance:1.0' }] }],
      }),
    ).toEqual({ permission: [{ action: 'use', constraint: [{ leftOperand: 'cx-policy:FrameworkAgreement', operator: 'eq', rightOperand: 'DataExchangeGovernance:1.0' }] }] });
  });
});
