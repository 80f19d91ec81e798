const { availableParallelism, loadavg } = require('node:os');

/**
 * One multiplier for every time bound of the suite (jest's testTimeout, the bounds in test/support/time.ts):
 * DB_MIGRATE_TEST_TIME_SCALE if set, else the machine's load per core when the run starts (at least 1).
 * Bounds only catch hangs: no test asserts how long something took.
 */
const measured = Math.max(1, Math.ceil(loadavg()[0] / availableParallelism()));
const timeScale = Number(process.env.DB_MIGRATE_TEST_TIME_SCALE) || measured;
process.env.DB_MIGRATE_TEST_TIME_SCALE = String(timeScale); // the workers inherit it

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
  testTimeout: 120_000 * timeScale,
  // Two files at once: the tests mostly wait on PostgreSQL and child processes, so two workers fit two cores.
  maxWorkers: 2,
};
