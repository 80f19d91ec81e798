import { scaled, TEST_TIMEOUT_MS } from './time';

// Run before each test file (jest.config.js): its tests and hooks get the timeout scaled for this file.
jest.setTimeout(scaled(TEST_TIMEOUT_MS));
