import { readFileSync } from 'node:fs';
import { Parser, Store, type Quad } from 'n3';
import SHACLValidator from 'rdf-validate-shacl';
import { compactIri } from '../vocab/namespaces.ts';
import type { AccessTier } from './dataset.ts';

/**
 * SHACL validation against the HealthDCAT-AP shapes of a dataset's access tier (open data, protected,
 * sensitive), bundled in catalog/shapes/ from the HealthDCAT-AP release. Shapes are parsed once per tier.
 */
export interface ShapeViolation {
  /** The property at fault, as a prefixed name (e.g. healthdcatap:hdab). */
  field: string;
  /** The node it concerns (dataset, distribution, agent…). */
  focus: string;
  message: string;
}

const validators = new Map<AccessTier, SHACLValidator>();

function validatorFor(tier: AccessTier): SHACLValidator {
  let validator = validators.get(tier);
  if (!validator) {
    const text = readFileSync(new URL(`./shapes/HealthDCAT-AP_${tier}-shapes.ttl`, import.meta.url), 'utf8');
    validator = new SHACLValidator(new Store(new Parser().parse(text)));
    validators.set(tier, validator);
  }
  return validator;
}

export async function validateAgainstTier(quads: Quad[], tier: AccessTier): Promise<ShapeViolation[]> {
  const report = await validatorFor(tier).validate(new Store(quads));
  return report.results
    .filter((r) => r.severity?.value.endsWith('Violation'))
    .map((r) => ({
      field: r.path ? compactIri(r.path.value) : '(node)',
      focus: r.focusNode?.termType === 'BlankNode' ? '(nested node)' : (r.focusNode?.value ?? ''),
      message: r.message.map((m) => m.value).join(' ') || `violates ${compactIri(r.sourceConstraintComponent?.value ?? 'a constraint')}`,
    }));
}
