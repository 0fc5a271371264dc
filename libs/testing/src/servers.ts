/**
 * Connection settings of the real servers that `npm run infra:up` starts (see docs/real-servers.md).
 *
 * `scripts/infra/infra.sh up` writes them to `.infra/env`, and `scripts/test-int.sh` exports that
 * file before it runs the `*.server.int.spec.ts` specs. A spec asks for the server it needs with
 * {@link requireServer}; when the server is missing the call throws, so the spec fails with the
 * reason instead of being skipped.
 */

/** The servers that `npm run infra:up` provides. */
export type ServerName = 'postgres' | 'kafka' | 'mongo';

/** How to reach each server. */
export interface ServerSettings {
  postgres: {
    /** A fresh database for this test run, e.g. `postgres://postgres@127.0.0.1:5432/eddy_test_...`. */
    url: string;
  };
  kafka: {
    /** Bootstrap brokers as `host:port`. */
    brokers: string[];
  };
  mongo: {
    /** e.g. `mongodb://127.0.0.1:27017`. */
    url: string;
  };
}

const NOT_STARTED = 'not started: run npm run test:int (or npm run infra:up and source .infra/env)';

/**
 * The connection settings of `name`, read from the `EDDY_TEST_*` variables that `.infra/env` holds.
 *
 * @throws Error naming the server and the reason when it is unavailable: the reason infra:up gave
 *   (`EDDY_TEST_<NAME>_UNAVAILABLE`), or that the servers were not started.
 */
export function requireServer<N extends ServerName>(
  name: N,
  env: NodeJS.ProcessEnv = process.env,
): ServerSettings[N] {
  const unavailable = env[`EDDY_TEST_${name.toUpperCase()}_UNAVAILABLE`];
  if (unavailable !== undefined && unavailable.trim() !== '') {
    throw serverError(name, unavailable);
  }
  const read = (key: string): string => {
    const value = env[key];
    if (value === undefined || value.trim() === '') {
      throw serverError(name, `${NOT_STARTED} (${key} is not set)`);
    }
    return value.trim();
  };
  // Each branch builds exactly the settings of its server; the casts only tell TypeScript which.
  switch (name) {
    case 'postgres':
      return { url: read('EDDY_TEST_POSTGRES_URL') } as ServerSettings[N];
    case 'kafka':
      return {
        brokers: read('EDDY_TEST_KAFKA_BROKERS')
          .split(',')
          .map((b) => b.trim())
          .filter((b) => b !== ''),
      } as ServerSettings[N];
    case 'mongo':
      return { url: read('EDDY_TEST_MONGO_URL') } as ServerSettings[N];
    default: {
      const unknown: never = name;
      throw new Error(`TESTING-001 unknown server '${String(unknown)}' (known: postgres, kafka, mongo)`);
    }
  }
}

function serverError(name: ServerName, reason: string): Error {
  return new Error(`TESTING-002 server '${name}' is unavailable: ${reason}`);
}
