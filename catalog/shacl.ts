import { readFileSync } from 'node:fs';
import { Parser, Store, type Quad } from 'n3';
import SHACLValidator from 'rdf-validate-shacl';
import { compactIri, NS } from '../vocab/namespaces.ts';
import type { AccessTier } from './dataset.ts';

/**
 * SHACL validation against the HealthDCAT-AP shapes bundled in catalog/shapes/ from the HealthDCAT-AP release:
 * the shapes of a dataset's access tier (open data, protected, sensitive), which publication enforces, and the
 * controlled-vocabulary and range shapes, which need the vocabularies' own facts beside the data (tests load
 * catalog/shapes/eu-vocabularies.ttl). Shapes are parsed once per file.
 */
export interface ShapeViolation {
  /** The property at fault, as a prefixed name (e.g. healthdcatap:hdab). */
  field: string;
  /** The node it concerns (dataset, distribution, agent…). */
  focus: string;
  message: string;
}

export type ShapesFile = `${AccessTier}-shapes` | 'mdr-vocabularies-shapes' | 'ranges';

/**
 * Results of the HealthDCAT-AP shapes that contradict the HealthDCAT-AP specification itself (its other shapes or
 * its RDF template), waived with the reason; docs/catalog-vocabularies.md lists them.
 */
export interface ShapeConflict {
  shapes: ShapesFile[];
  path: string;
  component: 'MaxCountConstraintComponent' | 'PatternConstraintComponent';
  reason: string;
}

export const SHAPE_CONFLICTS: ShapeConflict[] = [
  {
    shapes: ['sensitive-shapes'],
    path: `${NS.dct}type`,
    component: 'MaxCountConstraintComponent',
    reason:
      'the sensitive tier allows one dct:type, but the vocabulary shapes require PERSONAL_DATA among "multiple types" and the RDF template gives two (GEOSPATIAL, PERSONAL_DATA)',
  },
  {
    shapes: ['mdr-vocabularies-shapes'],
    path: `${NS.healthdcatap}hasCodeValues`,
    component: 'PatternConstraintComponent',
    reason:
      "the vocabulary shapes require Wikidata IRIs, but the RDF template gives code values as the coding systems' own concept IRIs (ORDO, https://loinc.org/…/), which Wikidata does not have for every code",
  },
  {
    shapes: ['mdr-vocabularies-shapes'],
    path: `${NS.healthdcatap}hasCodingSystem`,
    component: 'PatternConstraintComponent',
    reason:
      'the vocabulary shapes require Wikidata IRIs; a code value is skos:inScheme its coding system, and the released FHIR data name that system by its FHIR canonical URI (coding.system), which is what consumers match',
  },
];

const validators = new Map<ShapesFile, SHACLValidator>();

function validatorFor(shapes: ShapesFile): SHACLValidator {
  let validator = validators.get(shapes);
  if (!validator) {
    const text = readFileSync(new URL(`./shapes/HealthDCAT-AP_${shapes}.ttl`, import.meta.url), 'utf8');
    validator = new SHACLValidator(new Store(new Parser().parse(text)));
    validators.set(shapes, validator);
  }
  return validator;
}

/** The violations of `quads` against one shapes file, less the documented conflicts (SHAPE_CONFLICTS) unless `waive` is false. */
export async function validateAgainst(quads: Quad[], shapes: ShapesFile, { waive = true } = {}): Promise<ShapeViolation[]> {
  const waived = waive ? SHAPE_CONFLICTS.filter((c) => c.shapes.includes(shapes)) : [];
  const report = await validatorFor(shapes).validate(new Store(quads));
  return report.results
    .filter((r) => r.severity?.value.endsWith('Violation'))
    .filter((r) => !waived.some((c) => r.path?.value === c.path && r.sourceConstraintComponent?.value === `${NS.sh}${c.component}`))
    .map((r) => ({
      field: r.path ? compactIri(r.path.value) : '(node)',
      focus: r.focusNode?.termType === 'BlankNode' ? '(nested node)' : (r.focusNode?.value ?? ''),
      message: r.message.map((m) => m.value).join(' ') || `${r.value ? `${r.value.value}: ` : ''}violates ${compactIri(r.sourceConstraintComponent?.value ?? 'a constraint')}`,
    }));
}

export function validateAgainstTier(quads: Quad[], tier: AccessTier): Promise<ShapeViolation[]> {
  return validateAgainst(quads, `${tier}-shapes`);
}
