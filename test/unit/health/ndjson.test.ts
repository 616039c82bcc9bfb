import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { forEachLine, LineSplitter, MAX_LINE_BYTES, parseResourceLine, ReleaseInputError, resourceTypeOfFile } from '../../../health/ndjson.ts';
import { OPT_OUT_REGISTER_FILE, OptOutRegisterError, readOptOutLine } from '../../../health/opt-out.ts';
import { describeReport, ReleaseTally } from '../../../health/report.ts';

async function linesOf(chunks: (string | Buffer)[]) {
  const seen: [string, number][] = [];
  await forEachLine(Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))), 'X.ndjson', (text, line) => seen.push([text, line]));
  return seen;
}

describe('NDJSON files of a FHIR bulk export', () => {
  it('name their resource type: Observation.ndjson, Observation.2.ndjson, Observation_1.ndjson; other files are none', () => {
    expect(resourceTypeOfFile('Observation.ndjson')).toBe('Observation');
    expect(resourceTypeOfFile('Observation.2.ndjson')).toBe('Observation');
    expect(resourceTypeOfFile('Observation_1.ndjson')).toBe('Observation');
    expect(resourceTypeOfFile(OPT_OUT_REGISTER_FILE)).toBeUndefined();
    expect(resourceTypeOfFile('observation.ndjson')).toBeUndefined();
    expect(resourceTypeOfFile('README.md')).toBeUndefined();
  });

  it('split into lines across chunk boundaries, also inside a multi-byte character; CR before LF and blank lines go, line numbers stay', async () => {
    const text = Buffer.from('{"a":"Müller"}\r\n\n{"b":2}\n{"c":3}');
    const cut = text.indexOf(Buffer.from('ü')) + 1;
    expect(await linesOf([text.subarray(0, cut), text.subarray(cut, cut + 9), text.subarray(cut + 9)])).toEqual([
      ['{"a":"Müller"}', 1],
      ['{"b":2}', 3],
      ['{"c":3}', 4],
    ]);
  });

  it('a UTF-8 byte order mark at the start is ignored', async () => {
    expect(await linesOf([Buffer.from([0xef, 0xbb, 0xbf]), '{"a":1}\n'])).toEqual([['{"a":1}', 1]]);
  });

  it('a line longer than the limit is refused, naming its number', () => {
    const splitter = new LineSplitter('Observation.ndjson');
    splitter.push(Buffer.from('{}\n'), () => undefined);
    expect(() => splitter.push(Buffer.alloc(MAX_LINE_BYTES + 1, 0x20), () => undefined)).toThrow('Observation.ndjson line 2: longer than 16777216 bytes');
  });

  it('a line must be a JSON object of the file’s resource type with a FHIR id', () => {
    expect(parseResourceLine('{"resourceType":"Patient","id":"p-1"}', 'Patient.ndjson', 1, 'Patient')).toEqual({ resourceType: 'Patient', id: 'p-1' });
    const failures = ['[1]', '"text"', '{"resourceType":"Patient","id":"has space"}', '{"resourceType":"Observation","id":"o"}'].map((line) => {
      try {
        parseResourceLine(line, 'Patient.ndjson', 9, 'Patient');
      } catch (error) {
        expect(error).toBeInstanceOf(ReleaseInputError);
        return (error as Error).message;
      }
    });
    expect(failures).toEqual([
      'Patient.ndjson line 9: not a JSON object',
      'Patient.ndjson line 9: not a JSON object',
      'Patient.ndjson line 9: the resource has no valid id',
      'Patient.ndjson line 9: expected a Patient resource',
    ]);
  });
});

describe('the EHDS opt-out register file', () => {
  it('is one Patient id a line; comments and blank lines are skipped; anything else fails naming the line only', () => {
    const ids = new Set<string>();
    ['# register', '', 'p-000001', '  p-000002  '].forEach((line, i) => readOptOutLine(line, i + 1, ids));
    expect([...ids]).toEqual(['p-000001', 'p-000002']);
    expect(() => readOptOutLine('Marie Schmit', 5, ids)).toThrow(new OptOutRegisterError(`${OPT_OUT_REGISTER_FILE} line 5: not a Patient id`));
  });
});

describe('the release report', () => {
  it('counts patients and resources by reason, and source = released + excluded', () => {
    const tally = new ReleaseTally();
    tally.patient(undefined);
    tally.patient('opted-out');
    tally.released('Patient');
    tally.dropped('Patient', 'opted-out');
    tally.released('Observation');
    tally.dropped('Observation', 'outside-window');
    const report = tally.report({
      releaseDate: '2026-12-01T00:00:00.000Z',
      consentModel: 'ehds-opt-out',
      files: [{ name: 'Patient.ndjson', resources: 1, bytes: 10, sha256: 'ab' }],
    });
    expect(report.patients).toMatchObject({ source: 2, released: 1, excluded: { 'opted-out': 1, 'no-consent': 0 } });
    expect(report.resources).toMatchObject({ source: 4, released: 2, excluded: { 'opted-out': 1, 'outside-window': 1 } });
    expect(Object.keys(report.resources.byType)).toEqual(['Observation', 'Patient']);
    expect(describeReport(report)).toBe(
      [
        'Release at 2026-12-01T00:00:00.000Z under ehds-opt-out:',
        '  patients: 2 in the source, 1 released; excluded: 1 opted-out',
        '  resources: 4 in the source, 2 released; not released: 1 opted-out, 1 outside-window',
        '  Patient.ndjson: 1 resources, 10 bytes',
      ].join('\n'),
    );
  });
});
