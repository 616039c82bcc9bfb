import type { CoverageOptions } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/** `npm run coverage`: a text summary on the console and an HTML report in coverage/ (git-ignored). */
export const coverage: CoverageOptions = {
  provider: 'v8',
  reporter: ['text-summary', 'html'],
  reportsDirectory: 'coverage',
  include: ['catalog/**/*.ts', 'contracts/**/*.ts', 'vocab/**/*.ts', 'health/**/*.ts', 'connector/**/*.ts', 'scripts/**/*.ts'],
};

/** `npm test`: every test once, unit and live (vitest.unit.config.ts runs the pure ones alone). */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    coverage,
  },
});
