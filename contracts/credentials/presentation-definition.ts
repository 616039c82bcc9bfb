import { z } from 'zod';
import { nestsQuantifiers } from './safe-pattern.ts';

/**
 * The part of DIF Presentation Exchange 2.0 that DCP peers send in a PresentationQueryMessage: a
 * presentation definition whose input descriptors constrain credential fields by JSONPath (`$.type`,
 * `$.credentialSubject.x`, `$['vc']['type']`) and a JSON Schema filter (`type`, `const`, `pattern`,
 * `enum`, `contains`). A credential answers a descriptor when every field of it finds a matching value
 * (an optional field never excludes). Submission requirements and predicates are not supported: a
 * definition that uses them is refused rather than answered loosely.
 */

const Filter = z
  .object({
    type: z.enum(['string', 'array', 'number', 'boolean', 'object']).optional(),
    const: z.unknown().optional(),
    pattern: z.string().max(500).optional(),
    enum: z.array(z.unknown()).optional(),
    contains: z.lazy((): z.ZodType => Filter).optional(),
  })
  .passthrough();
type Filter = z.infer<typeof Filter>;

const Field = z.object({
  id: z.string().optional(),
  path: z.array(z.string().min(2).max(300)).min(1),
  filter: Filter.optional(),
  optional: z.boolean().optional(),
  predicate: z.never().optional(),
});

export const PresentationDefinition = z.object({
  id: z.string().min(1),
  input_descriptors: z
    .array(
      z.object({
        id: z.string().min(1),
        format: z.unknown().optional(),
        constraints: z.object({ fields: z.array(Field).max(20).optional(), limit_disclosure: z.never().optional() }).optional(),
      }),
    )
    .min(1)
    .max(20),
  submission_requirements: z.never().optional(),
});
export type PresentationDefinition = z.infer<typeof PresentationDefinition>;

/** `$.a.b`, `$.a[0]`, `$['a']["b"]`, `$.a[*]` as a list of steps; undefined for anything else. */
export function parseJsonPath(path: string): (string | number | '*')[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const steps: (string | number | '*')[] = [];
  const step = /^(?:\.([A-Za-z_@$][\w@$-]*)|\[(\d+)\]|\[\*\]|\.\*|\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\])/;
  let rest = path.slice(1);
  while (rest.length > 0) {
    const match = step.exec(rest);
    if (!match) return undefined;
    steps.push(match[1] ?? match[3] ?? match[4] ?? (match[2] !== undefined ? Number(match[2]) : '*'));
    rest = rest.slice(match[0].length);
  }
  return steps;
}

function valuesAt(value: unknown, steps: (string | number | '*')[]): unknown[] {
  if (steps.length === 0) return [value];
  const [first, ...rest] = steps;
  if (value === null || typeof value !== 'object') return [];
  if (first === '*') return Object.values(value).flatMap((v) => valuesAt(v, rest));
  return valuesAt((value as Record<string | number, unknown>)[first!], rest);
}

function typeOf(value: unknown): string {
  return Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
}

function matches(value: unknown, filter: Filter | undefined): boolean {
  if (value === undefined) return false;
  if (!filter) return true;
  // A string filter on an array of strings (`$.type` with `pattern: X`) asks whether one element matches, as peers use it.
  if (filter.type === 'string' && Array.isArray(value)) return value.some((v) => matches(v, filter));
  if (filter.type && typeOf(value) !== filter.type) return false;
  if (filter.const !== undefined && JSON.stringify(filter.const) !== JSON.stringify(value)) return false;
  if (filter.enum && !filter.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) return false;
  if (filter.pattern !== undefined && (typeof value !== 'string' || !safeRegExp(filter.pattern).test(value))) return false;
  if (filter.contains && (!Array.isArray(value) || !value.some((v) => matches(v, filter.contains as Filter)))) return false;
  return true;
}

/** A peer's pattern, refused when it could backtrack catastrophically (nested quantifiers). */
function safeRegExp(pattern: string): RegExp {
  if (nestsQuantifiers(pattern)) throw new PresentationDefinitionError(`the pattern ${JSON.stringify(pattern)} nests quantifiers`);
  try {
    return new RegExp(pattern, 'u');
  } catch {
    throw new PresentationDefinitionError(`the pattern ${JSON.stringify(pattern)} is not a valid regular expression`);
  }
}

export class PresentationDefinitionError extends Error {
  override name = 'PresentationDefinitionError';
}

/** Parses a definition; throws PresentationDefinitionError naming what is wrong or unsupported. */
export function parsePresentationDefinition(value: unknown): PresentationDefinition {
  const parsed = PresentationDefinition.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PresentationDefinitionError(`presentationDefinition.${issue.path.join('.')}: ${issue.message}`);
  }
  for (const descriptor of parsed.data.input_descriptors) {
    for (const field of descriptor.constraints?.fields ?? []) {
      for (const path of field.path) if (!parseJsonPath(path)) throw new PresentationDefinitionError(`the JSONPath ${JSON.stringify(path)} is not supported`);
      for (let filter: Filter | undefined = field.filter; filter; filter = filter.contains as Filter | undefined) if (filter.pattern !== undefined) safeRegExp(filter.pattern);
    }
  }
  return parsed.data;
}

/**
 * The candidates (each a credential as JSON, e.g. a JWT credential's decoded form) that answer at least one
 * input descriptor, in their order. A field's path is tried on the credential and, for `$.vc.…` paths, on
 * the credential as the `vc` claim of a JWT.
 */
export function selectByDefinition<T>(definition: PresentationDefinition, candidates: { credential: Record<string, unknown>; item: T }[]): T[] {
  const fieldMatches = (credential: Record<string, unknown>, field: z.infer<typeof Field>) =>
    field.optional === true ||
    field.path.some((path) => {
      const steps = parseJsonPath(path)!;
      const values = [...valuesAt(credential, steps), ...(steps[0] === 'vc' ? valuesAt(credential, steps.slice(1)) : [])];
      return values.some((v) => matches(v, field.filter));
    });
  return candidates
    .filter(({ credential }) => definition.input_descriptors.some((d) => (d.constraints?.fields ?? []).every((f) => fieldMatches(credential, f))))
    .map(({ item }) => item);
}
