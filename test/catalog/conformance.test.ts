import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Parser, Store } from 'n3';
import SHACLValidator from 'rdf-validate-shacl';
import { SHAPE_CONFLICTS, type ShapesFile } from '../../catalog/shacl.ts';
import { startTestConnector } from '../support/connectors.ts';
import { SPECS_DIR } from '../support/dsp-schemas.ts';
import { exampleDataset, registerDataset } from './support.ts';

/**
 * Validates with the shapes as shipped in ../shared/specs, not the connector's bundled copy, less the documented
 * conflicts of the shapes with the specification (SHAPE_CONFLICTS, docs/catalog-vocabularies.md).
 */
async function violations(turtle: string, tier: string): Promise<string[]> {
  const shapes = new Store(new Parser().parse(readFileSync(join(SPECS_DIR, 'healthdcat-ap', `HealthDCAT-AP_${tier}-shapes.ttl`), 'utf8')));
  const report = await new SHACLValidator(shapes).validate(new Store(new Parser().parse(turtle)));
  const waived = SHAPE_CONFLICTS.filter((c) => c.shapes.includes(`${tier}-shapes` as ShapesFile));
  return report.results
    .filter((r) => r.severity?.value.endsWith('Violation'))
    .filter((r) => !waived.some((c) => r.path?.value === c.path && r.sourceConstraintComponent?.value.endsWith(`#${c.component}`)))
    .map((r) => `${r.path?.value}: ${r.message.map((m) => m.value).join(' ')}`);
}

describe('the published catalog conforms to the HealthDCAT-AP shapes of its datasets tier', () => {
  for (const [accessRights, tier] of [
    ['PUBLIC', 'opendata'],
    ['RESTRICTED', 'protected'],
    ['NON_PUBLIC', 'sensitive'],
  ] as const) {
    it(`${accessRights} → ${tier}`, async () => {
      const hospital = await startTestConnector({ role: 'hospital' });
      await registerDataset(hospital, exampleDataset(hospital, { accessRights }));
      const turtle = await (await fetch(`${hospital.url}/catalog`, { headers: { accept: 'text/turtle' } })).text();
      expect(turtle).toContain(`access-right/${accessRights}`);
      expect(await violations(turtle, tier)).toEqual([]);
    });
  }

  it('a catalog with a dataset short of the sensitive tier would not conform (the check can fail)', async () => {
    const hospital = await startTestConnector({ role: 'hospital' });
    await registerDataset(hospital, exampleDataset(hospital, { accessRights: 'PUBLIC', provenance: undefined, sample: undefined, keywords: undefined }));
    const turtle = await (await fetch(`${hospital.url}/catalog?format=turtle`)).text();
    expect((await violations(turtle, 'sensitive')).join('\n')).toMatch(/provenance|sample|keyword/);
  });
});
