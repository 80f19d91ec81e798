/** Tests run from the root against a real PostgreSQL server started once by test/global-setup.ts. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  moduleNameMapper: {
    '^@db-migrate/core$': '<rootDir>/packages/core/src/index.ts',
    '^@db-migrate/action-kit$': '<rootDir>/packages/action-kit/src/index.ts',
  },
  testMatch: ['<rootDir>/{packages,actions,test,examples}/**/*.test.ts'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  // Each file's test timeout, scaled by the machine's load when the file starts (test/support/time.ts).
  setupFilesAfterEnv: ['<rootDir>/test/support/test-timeout.ts'],
  // Two files at once: the tests mostly wait on PostgreSQL and child processes, so two workers fit two cores.
  maxWorkers: 2,
};
