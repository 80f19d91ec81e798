import { scaled, TEST_TIMEOUT_MS } from './time';

// Run before each test file (jest.config.js): its tests and hooks get the timeout scaled for this file,
jest.setTimeout(scaled(TEST_TIMEOUT_MS));
// and so does the connect timeout (10 s on a quiet machine), for the code under test and the children
// given this environment; a PGCONNECT_TIMEOUT set by the caller stays.
process.env.PGCONNECT_TIMEOUT ||= String(scaled(10_000) / 1000);
