import { describe, expect, it } from '@jest/globals';
import { requireServer } from './servers';

describe('requireServer', () => {
  it('returns the settings infra:up wrote', () => {
    const env = {
      EDDY_TEST_POSTGRES_URL: 'postgres://postgres@127.0.0.1:5432/eddy_test_1',
      EDDY_TEST_KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9094',
      EDDY_TEST_MONGO_URL: 'mongodb://127.0.0.1:27017',
    };
    expect(requireServer('postgres', env)).toEqual({ url: 'postgres://postgres@127.0.0.1:5432/eddy_test_1' });
    expect(requireServer('kafka', env)).toEqual({ brokers: ['127.0.0.1:9092', '127.0.0.1:9094'] });
    expect(requireServer('mongo', env)).toEqual({ url: 'mongodb://127.0.0.1:27017' });
  });

  it('throws with the server and the reason infra:up gave', () => {
    const env = {
      EDDY_TEST_MONGO_URL: 'mongodb://127.0.0.1:27017',
      EDDY_TEST_MONGO_UNAVAILABLE: 'port 27017 is taken by another process',
    };
    expect(() => requireServer('mongo', env)).toThrow(
      "server 'mongo' is unavailable: port 27017 is taken by another process",
    );
  });

  it('throws with a hint to start the servers when nothing was started', () => {
    expect(() => requireServer('kafka', {})).toThrow(
      /server 'kafka' is unavailable: not started: run npm run test:int/,
    );
    expect(() => requireServer('postgres', { EDDY_TEST_KAFKA_BROKERS: '127.0.0.1:9092' })).toThrow(
      /EDDY_TEST_POSTGRES_URL is not set/,
    );
  });
});
