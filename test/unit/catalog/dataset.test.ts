import { describe, expect, it } from 'vitest';
import { ACCESS_TIERS, DatasetInput, DataSource, tierOf } from '../../../catalog/dataset.ts';
import { exampleInput } from '../support/catalog.ts';

/** The zod issues of `input` as "path: message", empty when the dataset model accepts it. */
function problems(input: unknown): string[] {
  const parsed = DatasetInput.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('the dataset model (DCAT-AP 3 / HealthDCAT-AP as a steward registers it)', () => {
  it('accepts the example HealthDCAT-AP dataset, defaulting visibility to public and approval to automatic', () => {
    expect(problems(exampleInput())).toEqual([]);
    const parsed = DatasetInput.parse(exampleInput({ visibility: undefined }));
    expect(parsed.visibility).toBe('public');
    expect(parsed.requiresApproval).toBe(false);
  });

  it('refuses fields it does not know, so a misspelt property is not silently dropped', () => {
    expect(problems(exampleInput({ tittle: { en: 'typo' } })).join('\n')).toMatch(/tittle/);
  });

  describe('mandatory properties', () => {
    for (const field of ['title', 'description', 'publisher', 'themes', 'accessRights', 'applicableLegislation', 'healthCategories', 'hdab', 'distributions', 'source', 'offers']) {
      it(`${field} is required`, () => {
        expect(problems(exampleInput({ [field]: undefined })).some((p) => p.startsWith(`${field}:`))).toBe(true);
      });
    }

    it('a dataset needs at least one theme, legislation, health category, distribution and offer (no empty arrays)', () => {
      for (const field of ['themes', 'applicableLegislation', 'healthCategories', 'distributions', 'offers']) {
        expect(problems(exampleInput({ [field]: [] })), field).toEqual([expect.stringMatching(new RegExp(`^${field}: `))]);
      }
    });
  });

  describe('language-tagged text (dct:title, dct:description)', () => {
    it('is a map from BCP 47 language tags to text', () => {
      expect(problems(exampleInput({ title: { en: 'Cohort', 'de-AT': 'Kohorte' } }))).toEqual([]);
      expect(problems(exampleInput({ title: { English: 'Cohort' } }))).toEqual([expect.stringMatching(/^title\.English: /)]);
    });

    it('needs at least one language and no empty text', () => {
      expect(problems(exampleInput({ title: {} }))).toEqual(['title: needs at least one language']);
      expect(problems(exampleInput({ description: { en: '' } }))).toEqual([expect.stringMatching(/^description\.en: /)]);
    });

    it('a plain string is not language-tagged text', () => {
      expect(problems(exampleInput({ title: 'Cohort' }))).toEqual([expect.stringMatching(/^title: /)]);
    });
  });

  describe('values that are IRIs in the vocabularies', () => {
    it('a theme, a country or a legislation must be an IRI, not a label', () => {
      expect(problems(exampleInput({ themes: ['Health'] }))).toEqual(['themes.0: must be an IRI']);
      expect(problems(exampleInput({ spatial: ['Luxembourg'] }))).toEqual(['spatial.0: must be an IRI']);
      expect(problems(exampleInput({ applicableLegislation: ['EHDS'] }))).toEqual(['applicableLegislation.0: must be an IRI']);
    });

    it('a URN is an IRI', () => {
      expect(problems(exampleInput({ themes: ['urn:example:theme'] }))).toEqual([]);
    });
  });

  describe('dates (dct:issued, dct:temporal, healthdcatap:retentionPeriod)', () => {
    it('take a date or a date-time with an offset', () => {
      expect(problems(exampleInput({ issued: '2025-06-30' }))).toEqual([]);
      expect(problems(exampleInput({ issued: '2025-06-30T12:00:00+02:00' }))).toEqual([]);
      expect(problems(exampleInput({ issued: '30/06/2025' }))).toHaveLength(1);
      expect(problems(exampleInput({ issued: '2025-13-01' }))).toHaveLength(1);
    });

    it('a period of time needs a start or an end', () => {
      expect(problems(exampleInput({ temporal: { end: '2025-12-31' } }))).toEqual([]);
      expect(problems(exampleInput({ temporal: {} }))).toEqual(['temporal: needs a start or an end']);
      expect(problems(exampleInput({ retentionPeriod: {} }))).toEqual(['retentionPeriod: needs a start or an end']);
    });
  });

  describe('distributions', () => {
    const distribution = (extra: Record<string, unknown>) => exampleInput({ distributions: [{ ...exampleInput().distributions[0], ...extra }] });

    it('a byte size is a non-negative integer', () => {
      expect(problems(distribution({ byteSize: 1024 }))).toEqual([]);
      expect(problems(distribution({ byteSize: -1 }))).toHaveLength(1);
      expect(problems(distribution({ byteSize: 1.5 }))).toHaveLength(1);
    });

    it('a checksum (spdx:Checksum) names sha256, sha1 or md5 and gives its value in lower-case hex', () => {
      expect(problems(distribution({ checksum: { algorithm: 'sha256', value: 'ab12' } }))).toEqual([]);
      expect(problems(distribution({ checksum: { algorithm: 'sha256', value: 'AB12' } }))).toEqual(['distributions.0.checksum.value: must be lowercase hex']);
      expect(problems(distribution({ checksum: { algorithm: 'crc32', value: 'ab12' } }))).toHaveLength(1);
    });

    it('format and media type are IRIs of the file-type and media-type vocabularies', () => {
      expect(problems(distribution({ format: 'JSON' }))).toEqual(['distributions.0.format: must be an IRI']);
    });
  });

  describe('data sources', () => {
    it('a file source names a path; an http source an http(s) URL', () => {
      expect(DataSource.safeParse({ kind: 'file', path: 'cohort' }).success).toBe(true);
      expect(DataSource.safeParse({ kind: 'http', url: 'https://hospital.example/export' }).success).toBe(true);
      expect(DataSource.safeParse({ kind: 'http', url: 'ftp://hospital.example/export' }).success).toBe(false);
      expect(DataSource.safeParse({ kind: 'file', path: '' }).success).toBe(false);
      expect(DataSource.safeParse({ kind: 's3', bucket: 'x' }).success).toBe(false);
    });
  });

  describe('offers (ODRL, as a catalog carries them)', () => {
    it('an offer needs at least one permission or prohibition', () => {
      const offer = { '@type': 'Offer', '@id': 'urn:uuid:offer-without-rules' };
      expect(problems(exampleInput({ offers: [offer] }))).not.toEqual([]);
    });
  });

  describe('access rights and tiers', () => {
    it('the EU access-right authority table decides the tier of HealthDCAT-AP shapes that applies', () => {
      expect(tierOf({ accessRights: 'PUBLIC' })).toBe('opendata');
      expect(tierOf({ accessRights: 'RESTRICTED' })).toBe('protected');
      expect(tierOf({ accessRights: 'NON_PUBLIC' })).toBe('sensitive');
      expect(Object.keys(ACCESS_TIERS)).toEqual(['PUBLIC', 'RESTRICTED', 'NON_PUBLIC']);
    });

    it('any other access right is refused', () => {
      expect(problems(exampleInput({ accessRights: 'CONFIDENTIAL' }))).toEqual([expect.stringMatching(/^accessRights: /)]);
    });
  });
});
