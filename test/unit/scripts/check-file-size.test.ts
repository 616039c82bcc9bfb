import { describe, expect, it } from 'vitest';
import { lineCount, MAX_LINES, oversized } from '../../../scripts/check-file-size.ts';

const lines = (n: number) => 'x\n'.repeat(n);

describe('the file-size check (no file over 400 lines)', () => {
  it('counts lines as an editor numbers them', () => {
    expect(lineCount('')).toBe(0);
    expect(lineCount('one')).toBe(1);
    expect(lineCount('one\n')).toBe(1);
    expect(lineCount('one\ntwo')).toBe(2);
    expect(lineCount('one\n\n')).toBe(2);
  });

  it('a file of exactly 400 lines passes; 401 lines fail', () => {
    expect(MAX_LINES).toBe(400);
    expect(oversized([{ path: 'a.ts', text: lines(400) }])).toEqual([]);
    expect(oversized([{ path: 'a.ts', text: lines(401) }])).toEqual([{ path: 'a.ts', lines: 401 }]);
  });

  it('names every file over the limit, longest first', () => {
    const files = [
      { path: 'small.ts', text: lines(10) },
      { path: 'long.ts', text: lines(450) },
      { path: 'longer.ts', text: lines(900) },
    ];
    expect(oversized(files)).toEqual([
      { path: 'longer.ts', lines: 900 },
      { path: 'long.ts', lines: 450 },
    ]);
  });
});
