import type { Step } from './steps.ts';
import type { DataspaceState } from './local-dataspace.ts';
import { dspAddressOf } from '../../connector/http/dsp-path.ts';

/** The legal identity each participant is admitted with (synthetic, for the local dataspace). */
const LEGAL = {
  hospital: { role: 'hospital', legalName: 'Centre Hospitalier Example S.A.', registrationNumber: { kind: 'vatID', value: 'LU10000001' } },
  institute: { role: 'research-institute', legalName: 'Research Institute Example a.s.b.l.', registrationNumber: { kind: 'leiCode', value: '222100EXAMPLE0000001' } },
} as const;

/** The permit covers the health category the hospital's cohort is published under (examples/datasets). */
export const DIABETES_PERMIT = {
  projectId: 'diabetes-outcomes-2026',
  purposes: ['scientific-research'],
  healthCategories: ['http://publications.europa.eu/resource/authority/health-category/EHRS'],
};

function admitStep(key: 'hospital' | 'institute'): Step<DataspaceState> {
  return {
    title: `The authority admits the ${LEGAL[key].role.replace('-', ' ')} and issues its ParticipantCredential`,
    async run(state) {
      const member = state.connectors[key]!;
      const { role, ...legal } = LEGAL[key];
      const result = await state.connectors.authority!.api.post<{ credential: { id: string } }>('/members', {
        did: member.did,
        name: member.name,
        role,
        dspAddress: dspAddressOf(member.url),
        headquartersCountry: 'LU',
        ...legal,
      });
      return `credential ${result.credential.id}`;
    },
  };
}

const grantPermit: Step<DataspaceState> = {
  title: 'The authority, as health data access body, grants the institute a data permit for diabetes research',
  async run(state) {
    const permit = await state.connectors.authority!.api.post<{ id: string; validUntil: string }>('/permits', {
      holder: state.connectors.institute!.did,
      ...DIABETES_PERMIT,
      validUntil: new Date(Date.now() + 365 * 86_400_000).toISOString(),
    });
    return `permit ${permit.id}, valid until ${permit.validUntil.slice(0, 10)}`;
  },
};

const collectCredentials: Step<DataspaceState> = {
  title: 'Hospital and institute request their credentials from the authority over DCP; each is verified into their wallet',
  async run(state) {
    const results = await Promise.all(
      (['hospital', 'institute'] as const).map(async (key) => {
        const { status, rejectionReason, stored, refused } = await state.connectors[key]!.api.post<{
          status: string;
          rejectionReason?: string;
          stored: { types: string[] }[];
          refused: { code: string; message: string }[];
        }>('/wallet/request', { authorityDid: state.connectors.authority!.did });
        if (status === 'REJECTED') throw new Error(`the authority rejected ${key}'s credential request: ${rejectionReason}`);
        if (refused.length > 0) throw new Error(`${key} refused a credential: ${refused[0]!.code}: ${refused[0]!.message}`);
        return `${key}: ${stored.map((c) => c.types.at(-1)).join(', ')}`;
      }),
    );
    return results.join('; ');
  },
};

export function trustSteps(): Step<DataspaceState>[] {
  return [admitStep('hospital'), admitStep('institute'), grantPermit, collectCredentials];
}
