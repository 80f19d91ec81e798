const { availableParallelism } = require('node:os');

/** Tests run from the root against a real PostgreSQL server started once by test/global-setup.ts. */
module.exports = {
  // Jest's default (cores - 1) runs a 2-core machine's suite in band, one file at a time, while most files
  // wait on PostgreSQL, git, python or a child process: one worker per core keeps both cores busy.
  maxWorkers: Math.max(2, availableParallelism()),
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  moduleNameMapper: {
    '^@db-migrate/core$': '<rootDir>/packages/core/src/index.ts',
    '^@db-migrate/action-kit$': '<rootDir>/packages/action-kit/src/index.ts',
  },
  testMatch: ['<rootDir>/{packages,actions,test,examples}/**/*.test.ts'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  testTimeout: 120000,
};
