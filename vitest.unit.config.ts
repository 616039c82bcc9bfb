import { defineConfig } from 'vitest/config';
import { coverage } from './vitest.config.ts';

/**
 * `npm run test:unit`: the pure tests only, with a setup file that makes any socket, listen, child process
 * or database file throw. New unit tests go under test/unit/ (mirroring the pure cores: catalog, contracts,
 * vocab, health); existing pure tests elsewhere are listed here by name.
 */
export const UNIT_TESTS = [
  'test/unit/**/*.test.ts',
  'test/vocab/document-loader.test.ts',
  'test/vocab/multikey.test.ts',
  'test/vocab/rdf.test.ts',
  'test/contracts/agreement-credential.test.ts',
  'test/contracts/credentials.test.ts',
  'test/contracts/policy.test.ts',
  'test/scripts/synthetic-cohort.test.ts',
];

export default defineConfig({
  test: {
    include: UNIT_TESTS,
    setupFiles: ['test/unit/purity-guard.ts'],
    testTimeout: 10_000,
    coverage: { ...coverage, include: ['catalog/**/*.ts', 'contracts/**/*.ts', 'vocab/**/*.ts', 'health/**/*.ts'] },
  },
});
