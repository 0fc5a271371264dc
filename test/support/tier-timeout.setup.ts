import { jest } from '@jest/globals';

/**
 * Each tier's time limit for a test and a hook. jest takes `testTimeout` only for the whole run, so
 * jest.config.js hands each tier's own through `globals`.
 */
const limit = (globalThis as { TIER_TEST_TIMEOUT?: number }).TIER_TEST_TIMEOUT;
if (limit !== undefined) jest.setTimeout(limit);
