import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DSP_ERROR_STATUSES, ERROR_CATALOG } from '../../../contracts/errors.ts';

const page = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');

describe('the error catalog', () => {
  it('documents every code with its status in docs/errors.md', () => {
    for (const [code, { status }] of Object.entries(ERROR_CATALOG)) expect(page).toContain(`| \`${code}\` | ${status} |`);
    for (const status of Object.keys(DSP_ERROR_STATUSES)) expect(page).toContain(`| ${status} |`);
  });

  it('uses snake_case codes and client or server error statuses only', () => {
    for (const [code, { status }] of Object.entries(ERROR_CATALOG)) {
      expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });
});
