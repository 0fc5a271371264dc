import { describe, expect, it } from '@jest/globals';
import { ConfigurationError, loadAdminCliConfig, loadConfig, unknownSettings } from './eddy.config';

const secret = 'x'.repeat(32);

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ EDDY_JWT_SECRET: secret });
    expect(config.http.port).toBe(4000);
    expect(config.dataDir).toBe('./data');
    expect(config.bpmnDir).toBe('./bpmn');
    expect(config.auth.mode).toBe('jwt');
    expect(config.auth.jwt.groupsClaim).toBe('groups');
    expect(config.auth.adminGroups).toEqual(['admins']);
    expect(config.auth.commandGroups).toEqual(['process-applications']);
    expect(config.http.maxBodyBytes).toBe(1024 * 1024);
    expect(config.commands.maxPayloadDepth).toBe(64);

    expect(config.viewStore).toEqual({ kind: 'memory', mongodbUrl: undefined, mongodbDatabase: 'eddy' });
    expect(config.projections).toBe('on');
  });

  it('reads the MongoDB view store settings', () => {
    const config = loadConfig({
      EDDY_AUTH_MODE: 'dev',
      EDDY_VIEW_STORE: 'mongodb',
      EDDY_MONGODB_URL: 'mongodb://a.example:27017,b.example:27017/?replicaSet=rs0',
      EDDY_MONGODB_DATABASE: 'eddy_views',
    });
    expect(config.viewStore).toEqual({
      kind: 'mongodb',
      mongodbUrl: 'mongodb://a.example:27017,b.example:27017/?replicaSet=rs0',
      mongodbDatabase: 'eddy_views',
    });
  });

  it('runs no projections with EDDY_PROJECTIONS=off over MongoDB views', () => {
    const config = loadConfig({
      EDDY_AUTH_MODE: 'dev',
      EDDY_VIEW_STORE: 'mongodb',
      EDDY_MONGODB_URL: 'mongodb://127.0.0.1:27017',
      EDDY_PROJECTIONS: 'off',
    });
    expect(config.projections).toBe('off');
  });

  it('gives the web tasklist its OpenID provider only with an issuer URL', () => {
    expect(loadConfig({ EDDY_JWT_SECRET: secret }).oidc).toBeNull();
    const config = loadConfig({
      EDDY_JWT_JWKS_URL: 'https://id.example/jwks',
      EDDY_JWT_ISSUER: 'https://id.example',
      EDDY_OIDC_CLIENT_ID: 'tasklist',
    });
    expect(config.oidc).toEqual({
      issuer: 'https://id.example',
      clientId: 'tasklist',
      scopes: 'openid profile',
    });
    expect(() => loadConfig({ EDDY_JWT_SECRET: secret, EDDY_OIDC_CLIENT_ID: 'tasklist' })).toThrow(
      /EDDY_JWT_ISSUER must be the issuer URL/,
    );
  });

  it('takes the Camunda 8 engine with the SDK address', () => {
    const config = loadConfig({
      EDDY_AUTH_MODE: 'dev',
      EDDY_ENGINE: 'camunda8',
      ZEEBE_REST_ADDRESS: 'https://cluster.example',
    });
    expect(config.engine).toBe('camunda8');
    expect(config.camunda8Sdk).toEqual({ ZEEBE_REST_ADDRESS: 'https://cluster.example' });
  });

  it('reads lists and numbers', () => {
    const config = loadConfig({
      EDDY_AUTH_MODE: 'dev',
      EDDY_HTTP_PORT: '8081',
      EDDY_ADMIN_GROUPS: 'ops, platform-admins',
      EDDY_MAX_PAYLOAD_DEPTH: '16',
    });
    expect(config.http.port).toBe(8081);
    expect(config.commands.maxPayloadDepth).toBe(16);
    expect(config.auth.adminGroups).toEqual(['ops', 'platform-admins']);
    expect(config.checkpointReset).toBeUndefined();
    expect(loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_CHECKPOINT_RESET: 'head' }).checkpointReset).toBe('head');
  });

  it('reads the searched payload fields and the longest search, refusing bad ones by name', () => {
    expect(loadConfig({ EDDY_AUTH_MODE: 'dev' }).search).toEqual({ payloadFields: [], maxLength: 200 });
    expect(
      loadConfig({
        EDDY_AUTH_MODE: 'dev',
        EDDY_SEARCH_PAYLOAD_FIELDS: 'customer.name, tags',
        EDDY_SEARCH_MAX_LENGTH: '500',
      }).search,
    ).toEqual({ payloadFields: ['customer.name', 'tags'], maxLength: 500 });
    expect(() => loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_SEARCH_PAYLOAD_FIELDS: 'customer..name' })).toThrow(
      /EDDY_SEARCH_PAYLOAD_FIELDS.*dotted payload paths/,
    );
    expect(() => loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_SEARCH_MAX_LENGTH: '10000' })).toThrow(
      /EDDY_SEARCH_MAX_LENGTH/,
    );
  });

  it('reads the largest number of commands of one request, 1000 by default', () => {
    expect(loadConfig({ EDDY_AUTH_MODE: 'dev' }).commands.maxPerRequest).toBe(1000);
    expect(
      loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_MAX_COMMANDS_PER_REQUEST: '50' }).commands.maxPerRequest,
    ).toBe(50);
  });

  it('takes commands from Kafka only with EDDY_KAFKA_COMMANDS=on and brokers', () => {
    expect(loadConfig({ EDDY_AUTH_MODE: 'dev' }).commandTopic).toBeNull();
    expect(() => loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_KAFKA_COMMANDS: 'on' })).toThrow(
      'EDDY_KAFKA_BROKERS is required when EDDY_KAFKA_COMMANDS=on',
    );
    expect(() => loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_KAFKA_BROKERS: 'kafka-1' })).toThrow(
      'EDDY_KAFKA_BROKERS must be host:port',
    );
    expect(() =>
      loadConfig({
        EDDY_AUTH_MODE: 'dev',
        EDDY_KAFKA_COMMAND_TOPIC: 'eddy commands',
        EDDY_KAFKA_BROKERS: 'k:9092',
      }),
    ).toThrow('EDDY_KAFKA_COMMAND_TOPIC must be a Kafka topic name');
    const config = loadConfig({
      EDDY_AUTH_MODE: 'dev',
      EDDY_KAFKA_COMMANDS: 'on',
      EDDY_KAFKA_BROKERS: 'kafka-1:9092, kafka-2:9092',
    });
    expect(config.kafka.brokers).toEqual(['kafka-1:9092', 'kafka-2:9092']);
    expect(config.commandTopic).toEqual({
      topic: 'eddy.commands',
      resultsTopic: 'eddy.command-results',
      repliesTopic: 'eddy.replies',
      deadLetterTopic: 'eddy.commands.dlq',
      groupId: 'eddy-core',
      maxMessageBytes: 1024 * 1024,
    });
  });

  it('reads the topics and the wait of requests across roles, with their defaults', () => {
    const defaults = loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_KAFKA_BROKERS: 'kafka:9092' }).kafka;
    expect(defaults).toMatchObject({
      commandTopic: 'eddy.commands',
      repliesTopic: 'eddy.replies',
      engineRequestsTopic: 'eddy.engine-requests',
      engineRequestsGroup: 'eddy-collector',
      requestTimeoutMs: 10_000,
    });
    expect(() => loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_KAFKA_REQUEST_TIMEOUT_MS: '10' })).toThrow(
      'EDDY_KAFKA_REQUEST_TIMEOUT_MS',
    );
    expect(() => loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_KAFKA_REPLIES_TOPIC: 'a b' })).toThrow(
      'EDDY_KAFKA_REPLIES_TOPIC must be a Kafka topic name',
    );
  });

  it('reads the EventStoreDB connection string', () => {
    const config = loadConfig({
      EDDY_AUTH_MODE: 'dev',
      EDDY_EVENT_STORE: 'eventstoredb',
      EDDY_EVENTSTOREDB_URL: 'esdb://admin:changeit@127.0.0.1:2113?tls=false',
    });
    expect(config.eventStore).toMatchObject({
      kind: 'eventstoredb',
      eventStoreDbUrl: 'esdb://admin:changeit@127.0.0.1:2113?tls=false',
    });
  });

  it.each([
    [{ EDDY_HTTP_PORT: 'eighty' }, 'EDDY_HTTP_PORT'],
    [{ EDDY_HTTP_PORT: '70000' }, 'EDDY_HTTP_PORT'],
    [{ EDDY_AUTH_MODE: 'none' }, 'EDDY_AUTH_MODE'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_MAX_PAYLOAD_DEPTH: '0' }, 'EDDY_MAX_PAYLOAD_DEPTH'],
    [{ EDDY_AUTH_MODE: 'jwt' }, 'EDDY_JWT_SECRET'],
    [{ EDDY_JWT_SECRET: 'short' }, 'EDDY_JWT_SECRET'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_EVENT_STORE: 'postgres' }, 'EDDY_POSTGRES_URL'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_ENGINE: 'camunda8' }, 'ZEEBE_REST_ADDRESS'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_EVENT_STORE: 'eventstoredb' }, 'EDDY_EVENTSTOREDB_URL'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_MAX_COMMANDS_PER_REQUEST: '0' }, 'EDDY_MAX_COMMANDS_PER_REQUEST'],
    [
      { EDDY_AUTH_MODE: 'dev', EDDY_EVENT_STORE: 'eventstoredb', EDDY_EVENTSTOREDB_URL: 'http://es:2113' },
      'EDDY_EVENTSTOREDB_URL',
    ],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_JWT_JWKS_URL: 'not a url' }, 'EDDY_JWT_JWKS_URL'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_CHECKPOINT_RESET: 'yes' }, 'EDDY_CHECKPOINT_RESET'],

    [{ EDDY_AUTH_MODE: 'dev', EDDY_VIEW_STORE: 'mongodb' }, 'EDDY_MONGODB_URL'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_VIEW_STORE: 'redis' }, 'EDDY_VIEW_STORE'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_MONGODB_URL: 'http://127.0.0.1:27017' }, 'EDDY_MONGODB_URL'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_MONGODB_DATABASE: 'a.b' }, 'EDDY_MONGODB_DATABASE'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_PROJECTIONS: 'off' }, 'EDDY_PROJECTIONS'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_PROJECTIONS: 'no' }, 'EDDY_PROJECTIONS'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_ENGINE_THREAD: 'yes' }, 'EDDY_ENGINE_THREAD'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_ENGINE: 'none', EDDY_ENGINE_THREAD: 'on' }, 'EDDY_ENGINE_THREAD'],
  ])('refuses %o naming %s', (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (refusal) {
      error = refusal;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).problems.map((p) => p.variable)).toContain(variable);
    expect((error as Error).message).toContain(variable);
  });

  describe('development identity mode', () => {
    const refusal = (env: Record<string, string | undefined>) => {
      try {
        loadConfig(env);
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as ConfigurationError).problems.find((p) => p.variable === 'EDDY_AUTH_MODE')?.message;
      }
      return undefined;
    };

    it('starts on a developer machine', () => {
      expect(loadConfig({ EDDY_AUTH_MODE: 'dev', NODE_ENV: 'development' }).auth.mode).toBe('dev');
    });

    it('is refused with NODE_ENV=production, naming the override', () => {
      expect(refusal({ EDDY_AUTH_MODE: 'dev', NODE_ENV: 'production' })).toMatch(
        /NODE_ENV=production.*EDDY_AUTH_ALLOW_DEV_MODE=true/,
      );
    });

    it.each([
      { EDDY_JWT_SECRET: secret },
      { EDDY_JWT_JWKS_URL: 'https://idp.example.test/jwks' },
      { EDDY_JWT_ISSUER: 'https://idp.example.test' },
      { EDDY_JWT_AUDIENCE: 'eddy' },
      { EDDY_JWT_USER_CLAIM: 'preferred_username' },
      { EDDY_JWT_MAX_LIFETIME_SECONDS: '3600' },
    ])('is refused when a JWT setting is present: %o', (jwt) => {
      const message = refusal({ EDDY_AUTH_MODE: 'dev', ...jwt });
      expect(message).toContain(Object.keys(jwt)[0]);
      expect(message).toContain('EDDY_AUTH_ALLOW_DEV_MODE');
    });

    it('starts anyway with EDDY_AUTH_ALLOW_DEV_MODE=true', () => {
      const config = loadConfig({
        EDDY_AUTH_MODE: 'dev',
        EDDY_AUTH_ALLOW_DEV_MODE: 'true',
        EDDY_JWT_SECRET: secret,
        NODE_ENV: 'production',
      });
      expect(config.auth.mode).toBe('dev');
      expect(config.auth.jwt.secret).toBe(secret);
    });

    it('ignores JWT settings that are set but empty', () => {
      expect(loadConfig({ EDDY_AUTH_MODE: 'dev', EDDY_JWT_SECRET: '' }).auth.mode).toBe('dev');
    });
  });

  it('bounds the lifetime of tokens, 24 hours by default', () => {
    expect(loadConfig({ EDDY_JWT_SECRET: secret }).auth.jwt.maxLifetimeSeconds).toBe(86_400);
    expect(
      loadConfig({ EDDY_JWT_SECRET: secret, EDDY_JWT_MAX_LIFETIME_SECONDS: '900' }).auth.jwt
        .maxLifetimeSeconds,
    ).toBe(900);
  });
});

describe('strict settings', () => {
  const dev = { EDDY_AUTH_MODE: 'dev' };

  it('refuse an EDDY_ variable that is no setting, naming it, empty or not', () => {
    const attempt = () => loadConfig({ ...dev, EDDY_HTTP_PROT: '8080', EDDY_VEIW_STORE: '' });
    expect(attempt).toThrow(ConfigurationError);
    expect(attempt).toThrow(/EDDY_HTTP_PROT is not a setting of Eddy.*EDDY_VEIW_STORE is not a setting/);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigurationError).problems.map((p) => p.variable)).toEqual([
        'EDDY_HTTP_PROT',
        'EDDY_VEIW_STORE',
      ]);
    }
  });

  it('leave the test, benchmark and infrastructure tools their prefixes, and other variables alone', () => {
    expect(
      unknownSettings({ EDDY_TEST_POSTGRES_URL: 'x', EDDY_BENCH_X: '1', EDDY_INFRA_MONGO_PORT: '1' }),
    ).toEqual([]);
    expect(() =>
      loadConfig({ ...dev, EDDY_TEST_MONGO_URL: 'mongodb://x', PATH: '/bin', EDDYX: '1' }),
    ).not.toThrow();
  });

  it('takes the roles of EDDY_ROLES, and refuses an unknown one naming it', () => {
    expect(loadConfig(dev).roles).toEqual({
      roles: ['collector', 'core', 'relay', 'projector', 'api'],
      singleNode: true,
    });
    expect(
      loadConfig({
        ...dev,
        EDDY_ROLES: 'api',
        EDDY_EVENT_STORE: 'postgres',
        EDDY_POSTGRES_URL: 'postgres://eddy@db/eddy',
        EDDY_VIEW_STORE: 'mongodb',
        EDDY_MONGODB_URL: 'mongodb://views/',
      }).roles,
    ).toEqual({ roles: ['api'], singleNode: false });
    expect(() => loadConfig({ ...dev, EDDY_ROLES: 'api,projecter' })).toThrow(
      /EDDY_ROLES names unknown role 'projecter': the roles are collector, core, relay, projector, api/,
    );
  });

  it('refuses roles spread over processes on an event store that cannot be shared', () => {
    expect(() => loadConfig({ ...dev, EDDY_ROLES: 'collector,core' })).toThrow(
      /EDDY_ROLES collector,core spreads the roles over processes, which needs an event store they share: EDDY_EVENT_STORE=sqlite/,
    );
    expect(() => loadConfig({ ...dev, EDDY_ROLES: 'api', EDDY_EVENT_STORE: 'memory' })).toThrow(
      /EDDY_EVENT_STORE=memory/,
    );
  });

  it('reads the Kafka brokers as host:port items', () => {
    expect(loadConfig({ ...dev, EDDY_KAFKA_BROKERS: 'k1:9092, k2:9092' }).kafka).toMatchObject({
      brokers: ['k1:9092', 'k2:9092'],
    });
    expect(loadConfig(dev).kafka).toMatchObject({ brokers: [], eventsTopic: 'eddy.events' });
    expect(() => loadConfig({ ...dev, EDDY_KAFKA_BROKERS: 'k1' })).toThrow(
      /EDDY_KAFKA_BROKERS must be host:port/,
    );
  });
});

describe('the admin command line settings', () => {
  it('default to the local server in the first admin group, without the server secrets', () => {
    expect(loadAdminCliConfig({})).toEqual({ url: 'http://127.0.0.1:4000', user: 'admin', group: 'admins' });
    expect(
      loadAdminCliConfig({
        EDDY_HTTP_PORT: '4100',
        EDDY_ADMIN_GROUPS: 'ops,admins',
        EDDY_ADMIN_USER: 'olga',
        EDDY_AUTH_MODE: 'jwt',
      }),
    ).toEqual({ url: 'http://127.0.0.1:4100', user: 'olga', group: 'ops' });
    expect(loadAdminCliConfig({ EDDY_ADMIN_URL: 'https://eddy.example/', EDDY_ADMIN_TOKEN: 't' })).toEqual({
      url: 'https://eddy.example',
      token: 't',
      user: 'admin',
      group: 'admins',
    });
  });

  it('refuse a bad URL and an unknown EDDY_ variable, naming them', () => {
    expect(() => loadAdminCliConfig({ EDDY_ADMIN_URL: 'ftp://x' })).toThrow(/EDDY_ADMIN_URL/);
    expect(() => loadAdminCliConfig({ EDDY_ADMIN_TOKN: 't' })).toThrow(/EDDY_ADMIN_TOKN is not a setting/);
  });
});
