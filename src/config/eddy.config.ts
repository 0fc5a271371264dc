import type { AuthOptions } from '@eddy/auth';
import { z } from 'zod';
import { parseRoles, sharedStoreProblem, type ProcessRoles } from '../roles/roles';
import { DEFAULT_MAX_COMMENT_LENGTH, MAX_COMMENT_LENGTH_LIMIT } from '@eddy/contracts';
import { DEFAULT_SEARCH_SETTINGS, SEARCH_MAX_LENGTH_LIMIT } from '@eddy/projections';

const list = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0),
);
const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const flag = z.enum(['true', 'false']).transform((value) => value === 'true');
const kafkaTopic = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name: 1 to 249 letters, digits, . _ or -');

/** `EDDY_ROLES`: `all` or a comma-separated list of roles; an unknown role is named. */
const roles = z.string().superRefine((value, ctx) => {
  const parsed = parseRoles(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.problem });
});
const hostPorts = list.pipe(
  z
    .array(z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port items separated by commas'))
    .min(1, 'must name at least one host:port'),
);

/**
 * Prefixes of the test, benchmark and infrastructure tools' own variables: not settings of Eddy,
 * and left alone by the check for unknown settings.
 */
const TOOL_PREFIXES = ['EDDY_TEST_', 'EDDY_BENCH_', 'EDDY_INFRA_'];

/**
 * Every setting of Eddy, read from `EDDY_*` environment variables. The README's configuration
 * table lists them; a bad setting stops start-up with its name, and so does an `EDDY_*` variable
 * that is none of them (a typo).
 */
const environmentSchema = z
  .object({
    EDDY_ROLES: roles.default('all'),
    EDDY_KAFKA_BROKERS: hostPorts.optional(),
    // The command line tools' settings (npm run admin, npm run watch-tasks).
    EDDY_ADMIN_URL: z.url({ protocol: /^https?$/ }).optional(),
    EDDY_ADMIN_TOKEN: z.string().min(1).optional(),
    EDDY_ADMIN_USER: z.string().min(1).default('admin'),
    EDDY_URL: z.url({ protocol: /^https?$/ }).default('http://localhost:4000'),
    EDDY_WATCH_TOKEN: z.string().min(1).optional(),
    EDDY_HTTP_PORT: integer(0, 65_535).default(4000),
    EDDY_HTTP_HOST: z.string().min(1).default('0.0.0.0'),
    EDDY_DATA_DIR: z.string().min(1).default('./data'),
    EDDY_BPMN_DIR: z.string().min(1).default('./bpmn'),
    EDDY_EVENT_STORE: z.enum(['sqlite', 'postgres', 'eventstoredb', 'memory']).default('sqlite'),
    EDDY_POSTGRES_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    EDDY_EVENTSTOREDB_URL: z.url({ protocol: /^esdb(\+discover)?$/ }).optional(),
    EDDY_ENGINE: z.enum(['embedded', 'camunda8', 'none']).default('embedded'),
    EDDY_ENGINE_THREAD: z.enum(['on', 'off']).default('off'),
    EDDY_CHECKPOINT_RESET: z.enum(['head', 'start']).optional(),
    EDDY_VIEW_STORE: z.enum(['memory', 'mongodb']).default('memory'),
    EDDY_MONGODB_URL: z
      .string()
      .regex(/^mongodb(\+srv)?:\/\/\S+$/, 'must be a mongodb:// or mongodb+srv:// connection string')
      .optional(),
    EDDY_MONGODB_DATABASE: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be 1 to 63 letters, digits, _ or -')
      .default('eddy'),
    EDDY_PROJECTIONS: z.enum(['on', 'off']).default('on'),
    EDDY_APPLICATION_NAME: z
      .string()
      .regex(/^[A-Za-z0-9._:@\-/+]+$/, 'may contain only letters, digits and . _ : @ - / +')
      .default('eddy'),
    EDDY_AUTH_MODE: z.enum(['jwt', 'dev']).default('jwt'),
    EDDY_AUTH_ALLOW_DEV_MODE: flag.default(false),
    EDDY_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
    EDDY_JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
    EDDY_JWT_ISSUER: z.string().min(1).optional(),
    EDDY_JWT_AUDIENCE: z.string().min(1).optional(),
    EDDY_JWT_USER_CLAIM: z.string().min(1).default('sub'),
    EDDY_JWT_GROUPS_CLAIM: z.string().min(1).default('groups'),
    EDDY_JWT_MAX_LIFETIME_SECONDS: integer(1, 31_536_000).default(86_400),
    EDDY_OIDC_CLIENT_ID: z.string().min(1).optional(),
    EDDY_OIDC_SCOPES: z.string().min(1).default('openid profile'),
    EDDY_ADMIN_GROUPS: list.default(['admins']),
    EDDY_COMMAND_GROUPS: list.default(['process-applications']),
    EDDY_TASK_MANAGER_GROUPS: list.default(['task-managers']),
    EDDY_MAX_BODY_BYTES: integer(1_024, 64 * 1024 * 1024).default(1024 * 1024),
    EDDY_COMMAND_RETRIES: integer(0, 100).default(5),
    EDDY_MAX_COMMANDS_PER_REQUEST: integer(1, 100_000).default(1_000),
    EDDY_MAX_PAYLOAD_DEPTH: integer(1, 1_000).default(64),
    EDDY_COMMENT_MAX_LENGTH: integer(1, MAX_COMMENT_LENGTH_LIMIT).default(DEFAULT_MAX_COMMENT_LENGTH),
    EDDY_READ_YOUR_WRITES_TIMEOUT_MS: integer(1, 600_000).default(5_000),
    EDDY_GRAPHQL_MAX_DEPTH: integer(1, 100).default(10),
    EDDY_GRAPHQL_MAX_COST: integer(1, 10_000_000).default(20_000),
    EDDY_GRAPHQL_MAX_PAGE_SIZE: integer(1, 1_000).default(200),
    EDDY_WS_MAX_SUBSCRIPTIONS: integer(1, 10_000).default(20),
    // Commands from a Kafka topic (libs/messaging/src/command-topic).
    EDDY_KAFKA_COMMANDS: z.enum(['on', 'off']).default('off'),
    EDDY_KAFKA_COMMAND_TOPIC: kafkaTopic.default('eddy.commands'),
    EDDY_KAFKA_COMMAND_RESULTS_TOPIC: kafkaTopic.default('eddy.command-results'),
    EDDY_KAFKA_COMMAND_DLQ_TOPIC: kafkaTopic.default('eddy.commands.dlq'),
    EDDY_KAFKA_COMMAND_GROUP: z.string().min(1).max(255).default('eddy-core'),
    EDDY_KAFKA_COMMAND_MAX_BYTES: integer(1_024, 64 * 1024 * 1024).default(1024 * 1024),
    // The relay's event topic and the projectors' consumer group (libs/messaging/src/relay, event-topic).
    EDDY_KAFKA_EVENTS_TOPIC: kafkaTopic.default('eddy.events'),
    EDDY_KAFKA_PROJECTOR_GROUP: kafkaTopic.default('eddy-projector'),
    // Requests across roles (libs/messaging/src/request-reply, engine-requests).
    EDDY_KAFKA_REPLIES_TOPIC: kafkaTopic.default('eddy.replies'),
    EDDY_KAFKA_ENGINE_REQUESTS_TOPIC: kafkaTopic.default('eddy.engine-requests'),
    EDDY_KAFKA_ENGINE_REQUESTS_GROUP: kafkaTopic.default('eddy-collector'),
    EDDY_KAFKA_REQUEST_TIMEOUT_MS: integer(100, 600_000).default(10_000),
    EDDY_TASKS_WITHOUT_CANDIDATES: z.enum(['starters', 'nobody']).default('starters'),
    EDDY_SAVED_FILTERS_PER_USER: integer(1, 10_000).default(100),
    // Free-text search (libs/projections/src/search).
    EDDY_SEARCH_PAYLOAD_FIELDS: list
      .pipe(
        z.array(
          z
            .string()
            .regex(
              /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,15}$/,
              'must be dotted payload paths (letters, digits, _ or - between dots) separated by commas',
            ),
        ),
      )
      .optional(),
    EDDY_SEARCH_MAX_LENGTH: integer(1, SEARCH_MAX_LENGTH_LIMIT).default(DEFAULT_SEARCH_SETTINGS.maxLength),
    EDDY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    EDDY_LOG_PRETTY: flag.default(false),
    // OpenTelemetry traces (libs/observability/src/tracing.ts): off unless an OTLP/HTTP endpoint is set.
    EDDY_TRACING_OTLP_URL: z.url({ protocol: /^https?$/ }).optional(),
    EDDY_TRACING_SERVICE_NAME: z.string().min(1).max(255).optional(),
  })
  .superRefine((env, ctx) => {
    const roles = parseRoles(env.EDDY_ROLES);
    const problem = roles.ok
      ? sharedStoreProblem(roles.roles, env.EDDY_EVENT_STORE, env.EDDY_VIEW_STORE)
      : null;
    if (problem) ctx.addIssue({ code: 'custom', path: [problem.variable], message: problem.message });
    if (env.EDDY_AUTH_MODE === 'jwt' && !env.EDDY_JWT_SECRET && !env.EDDY_JWT_JWKS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['EDDY_JWT_SECRET'],
        message: 'is required when EDDY_AUTH_MODE=jwt (or set EDDY_JWT_JWKS_URL)',
      });
    }
    if (env.EDDY_JWT_SECRET && env.EDDY_JWT_JWKS_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['EDDY_JWT_JWKS_URL'],
        message: 'set either it or EDDY_JWT_SECRET, not both',
      });
    }
    if (env.EDDY_OIDC_CLIENT_ID && !URL.canParse(env.EDDY_JWT_ISSUER ?? '')) {
      ctx.addIssue({
        code: 'custom',
        path: ['EDDY_JWT_ISSUER'],
        message: 'must be the issuer URL when EDDY_OIDC_CLIENT_ID is set (the web tasklist signs in there)',
      });
    }
    if (env.EDDY_EVENT_STORE === 'postgres' && !env.EDDY_POSTGRES_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['EDDY_POSTGRES_URL'],
        message: 'is required when EDDY_EVENT_STORE=postgres',
      });
    }
    if (env.EDDY_EVENT_STORE === 'eventstoredb' && !env.EDDY_EVENTSTOREDB_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['EDDY_EVENTSTOREDB_URL'],
        message: 'is required when EDDY_EVENT_STORE=eventstoredb',
      });
    }
    if (env.EDDY_KAFKA_COMMANDS === 'on' && !env.EDDY_KAFKA_BROKERS) {
      ctx.addIssue({
        code: 'custom',
        path: ['EDDY_KAFKA_BROKERS'],
        message: 'is required when EDDY_KAFKA_COMMANDS=on',
      });
    }
    if (env.EDDY_VIEW_STORE === 'mongodb' && !env.EDDY_MONGODB_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['EDDY_MONGODB_URL'],
        message: 'is required when EDDY_VIEW_STORE=mongodb',
      });
    }
    if (env.EDDY_PROJECTIONS === 'off' && env.EDDY_VIEW_STORE === 'memory') {
      ctx.addIssue({
        code: 'custom',
        path: ['EDDY_PROJECTIONS'],
        message:
          'off needs views that another process projects (EDDY_VIEW_STORE=mongodb); the memory view store would stay empty',
      });
    }
  });

/**
 * The development identity mode lets anyone be anyone, so it is refused where the environment looks
 * like a real deployment: `NODE_ENV=production`, or any JWT setting present (someone meant tokens to
 * count). `EDDY_AUTH_ALLOW_DEV_MODE=true` starts it anyway.
 */
function devModeProblem(
  settings: Record<string, string | undefined>,
  nodeEnv: string | undefined,
): { variable: string; message: string } | null {
  if (settings.EDDY_AUTH_MODE !== 'dev' || settings.EDDY_AUTH_ALLOW_DEV_MODE === 'true') return null;
  const jwtSettings = Object.keys(settings).filter((key) => key.startsWith('EDDY_JWT_'));
  const reasons = [
    ...(nodeEnv === 'production' ? ['NODE_ENV=production'] : []),
    ...(jwtSettings.length > 0 ? [`JWT settings are present (${jwtSettings.join(', ')})`] : []),
  ];
  if (reasons.length === 0) return null;
  return {
    variable: 'EDDY_AUTH_MODE',
    message: `dev is refused: ${reasons.join(' and ')}; set EDDY_AUTH_ALLOW_DEV_MODE=true to start the development identity mode anyway`,
  };
}

export type EddyEnvironment = z.infer<typeof environmentSchema>;

/** The settings alone, without the checks across settings (which need a secret or a URL). */
const settingsSchema = z.object(environmentSchema.shape);

/** The names of every setting, `EDDY_ROLES` ... `EDDY_WATCH_TOKEN`. */
export function settingNames(): string[] {
  return Object.keys(settingsSchema.shape);
}

/** Every setting's default (`undefined`: none), as the README's configuration table lists them. */
export function settingDefaults(): Record<keyof EddyEnvironment, unknown> {
  const defaults: Record<string, unknown> = settingsSchema.parse({});
  return Object.fromEntries(settingNames().map((name) => [name, defaults[name]])) as Record<
    keyof EddyEnvironment,
    unknown
  >;
}

/** The `EDDY_*` variables of `env` that are no setting of Eddy (the tools' prefixes aside). */
export function unknownSettings(env: Record<string, string | undefined>): string[] {
  const known = new Set(settingNames());
  return Object.keys(env)
    .filter((key) => key.startsWith('EDDY_') && !known.has(key))
    .filter((key) => !TOOL_PREFIXES.some((prefix) => key.startsWith(prefix)))
    .sort();
}

function unknownSettingProblems(env: Record<string, string | undefined>) {
  return unknownSettings(env).map((variable) => ({
    variable,
    message: 'is not a setting of Eddy (a typo? the settings are listed in the README)',
  }));
}

/** The `EDDY_*` variables that are set and not empty: an empty one counts as unset. */
function setSettings(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        entry[0].startsWith('EDDY_') && entry[1] !== undefined && entry[1] !== '',
    ),
  );
}

function issueProblems(error: z.ZodError | undefined) {
  return (error?.issues ?? []).map((issue) => ({
    variable: String(issue.path[0] ?? 'EDDY_*'),
    message: issue.message,
  }));
}

/** The typed configuration of one Eddy process. */
export interface EddyConfig {
  http: { port: number; host: string; maxBodyBytes: number };
  dataDir: string;
  bpmnDir: string;
  applicationName: string;
  eventStore: {
    kind: 'sqlite' | 'postgres' | 'eventstoredb' | 'memory';
    postgresUrl?: string;
    eventStoreDbUrl?: string;
  };
  engine: 'embedded' | 'camunda8' | 'none';
  /** The embedded engine runs on a worker thread of its own (`EDDY_ENGINE_THREAD=on`), not on the main thread. */
  engineThread: boolean;
  /** Where a checkpoint that does not belong to the event store goes on from; unset: start-up stops. */
  checkpointReset?: 'head' | 'start';
  viewStore: { kind: 'memory' | 'mongodb'; mongodbUrl?: string; mongodbDatabase: string };
  /** `off`: this process runs no projections and serves the views another process projects. */
  projections: 'on' | 'off';
  /** Free-text search: the searched payload paths and the longest search string. */
  search: { payloadFields: string[]; maxLength: number };
  auth: AuthOptions;
  /**
   * `maxPayloadDepth`: how deep payloads and variables may nest, in every API; `maxCommentLength`: the
   * longest task comment, in every API.
   */
  commands: { maxRetries: number; maxPerRequest: number; maxPayloadDepth: number; maxCommentLength: number };
  tasklist: {
    readYourWritesTimeoutMs: number;
    maxDepth: number;
    maxCost: number;
    maxPageSize: number;
    maxSubscriptionsPerConnection: number;
    maxPayloadBytes: number;
    /** Who sees a task without assignee and candidates: the starters of its process, or nobody. */
    tasksWithoutCandidates: 'starters' | 'nobody';
    /** The most saved filters one user may own. */
    maxSavedFiltersPerUser: number;
  };
  log: { level: EddyEnvironment['EDDY_LOG_LEVEL']; pretty: boolean };
  /** OpenTelemetry traces: `otlpUrl` is the OTLP/HTTP traces endpoint; without it, no tracing. */
  tracing: { otlpUrl?: string; serviceName: string };
  /** The roles of this process (`EDDY_ROLES`): which modules it composes. */
  roles: ProcessRoles;
  /** Kafka: the brokers (`EDDY_KAFKA_BROKERS`; empty: none), the event topic and the projectors' consumer group. */
  kafka: {
    brokers: string[];
    eventsTopic: string;
    projectorGroup: string;
    /** The command topic, where an api process without the core sends users' commands. */
    commandTopic: string;
    /** Requests across roles: where their answers go, the engine's requests topic and group, the wait. */
    repliesTopic: string;
    engineRequestsTopic: string;
    engineRequestsGroup: string;
    requestTimeoutMs: number;
  };
  /** Commands from a Kafka topic (`EDDY_KAFKA_COMMANDS=on`), or null. */
  commandTopic: {
    topic: string;
    resultsTopic: string;
    repliesTopic: string;
    deadLetterTopic: string;
    groupId: string;
    maxMessageBytes: number;
  } | null;
  /** Where the web tasklist signs its users in (jwt mode), when it does. */
  oidc: { issuer: string; clientId: string; scopes: string } | null;
  /** With `EDDY_ENGINE=camunda8`: the `@camunda8/sdk`'s own settings (`ZEEBE_*`, `CAMUNDA_*`), passed through. */
  camunda8Sdk: Record<string, string>;
}

/** A setting is missing or bad: start-up stops with its name. */
export class ConfigurationError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(`invalid configuration: ${problems.map((p) => `${p.variable} ${p.message}`).join('; ')}`);
    this.name = 'ConfigurationError';
  }
}

/** A settings file (such as `eddy-collector.json`) cannot be read: start-up stops with its name. */
export class ConfigurationFileError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ConfigurationFileError';
  }
}

/** Reads and validates the configuration; throws {@link ConfigurationError} naming every bad setting. */
export function loadConfig(env: Record<string, string | undefined> = process.env): EddyConfig {
  const unknown = unknownSettingProblems(env);
  const relevant = setSettings(env);
  const parsed = environmentSchema.safeParse(relevant);
  const devMode = devModeProblem(relevant, env.NODE_ENV);
  // The Camunda 8 SDK reads its own settings; without an address it would quietly try localhost.
  const camunda8 =
    relevant.EDDY_ENGINE === 'camunda8' && !env.ZEEBE_REST_ADDRESS
      ? { variable: 'ZEEBE_REST_ADDRESS', message: 'is required when EDDY_ENGINE=camunda8' }
      : null;
  const thread =
    relevant.EDDY_ENGINE_THREAD === 'on' && (relevant.EDDY_ENGINE ?? 'embedded') !== 'embedded'
      ? { variable: 'EDDY_ENGINE_THREAD', message: 'on applies only to EDDY_ENGINE=embedded' }
      : null;
  if (!parsed.success || devMode || camunda8 || thread || unknown.length > 0) {
    throw new ConfigurationError([
      ...unknown,
      ...issueProblems(parsed.error),
      ...(devMode ? [devMode] : []),
      ...(camunda8 ? [camunda8] : []),
      ...(thread ? [thread] : []),
    ]);
  }
  const e = parsed.data;
  return {
    http: { port: e.EDDY_HTTP_PORT, host: e.EDDY_HTTP_HOST, maxBodyBytes: e.EDDY_MAX_BODY_BYTES },
    dataDir: e.EDDY_DATA_DIR,
    bpmnDir: e.EDDY_BPMN_DIR,
    applicationName: e.EDDY_APPLICATION_NAME,
    eventStore: {
      kind: e.EDDY_EVENT_STORE,
      postgresUrl: e.EDDY_POSTGRES_URL,
      eventStoreDbUrl: e.EDDY_EVENTSTOREDB_URL,
    },
    engine: e.EDDY_ENGINE,
    engineThread: e.EDDY_ENGINE_THREAD === 'on',
    checkpointReset: e.EDDY_CHECKPOINT_RESET,
    viewStore: {
      kind: e.EDDY_VIEW_STORE,
      mongodbUrl: e.EDDY_MONGODB_URL,
      mongodbDatabase: e.EDDY_MONGODB_DATABASE,
    },
    projections: e.EDDY_PROJECTIONS,
    search: { payloadFields: e.EDDY_SEARCH_PAYLOAD_FIELDS ?? [], maxLength: e.EDDY_SEARCH_MAX_LENGTH },
    auth: {
      mode: e.EDDY_AUTH_MODE,
      jwt: {
        secret: e.EDDY_JWT_SECRET,
        jwksUrl: e.EDDY_JWT_JWKS_URL,
        issuer: e.EDDY_JWT_ISSUER,
        audience: e.EDDY_JWT_AUDIENCE,
        userClaim: e.EDDY_JWT_USER_CLAIM,
        groupsClaim: e.EDDY_JWT_GROUPS_CLAIM,
        maxLifetimeSeconds: e.EDDY_JWT_MAX_LIFETIME_SECONDS,
      },
      adminGroups: e.EDDY_ADMIN_GROUPS,
      commandGroups: e.EDDY_COMMAND_GROUPS,
      taskManagerGroups: e.EDDY_TASK_MANAGER_GROUPS,
    },
    commands: {
      maxRetries: e.EDDY_COMMAND_RETRIES,
      maxPerRequest: e.EDDY_MAX_COMMANDS_PER_REQUEST,
      maxPayloadDepth: e.EDDY_MAX_PAYLOAD_DEPTH,
      maxCommentLength: e.EDDY_COMMENT_MAX_LENGTH,
    },
    tasklist: {
      readYourWritesTimeoutMs: e.EDDY_READ_YOUR_WRITES_TIMEOUT_MS,
      maxDepth: e.EDDY_GRAPHQL_MAX_DEPTH,
      maxCost: e.EDDY_GRAPHQL_MAX_COST,
      maxPageSize: e.EDDY_GRAPHQL_MAX_PAGE_SIZE,
      maxSubscriptionsPerConnection: e.EDDY_WS_MAX_SUBSCRIPTIONS,
      maxPayloadBytes: e.EDDY_MAX_BODY_BYTES,
      tasksWithoutCandidates: e.EDDY_TASKS_WITHOUT_CANDIDATES,
      maxSavedFiltersPerUser: e.EDDY_SAVED_FILTERS_PER_USER,
    },
    log: { level: e.EDDY_LOG_LEVEL, pretty: e.EDDY_LOG_PRETTY },
    tracing: {
      otlpUrl: e.EDDY_TRACING_OTLP_URL,
      serviceName:
        e.EDDY_TRACING_SERVICE_NAME ??
        `eddy-${(parseRoles(e.EDDY_ROLES) as { roles: ProcessRoles }).roles.roles.join('-')}`,
    },
    roles: (parseRoles(e.EDDY_ROLES) as { roles: ProcessRoles }).roles,
    kafka: {
      brokers: e.EDDY_KAFKA_BROKERS ?? [],
      eventsTopic: e.EDDY_KAFKA_EVENTS_TOPIC,
      projectorGroup: e.EDDY_KAFKA_PROJECTOR_GROUP,
      commandTopic: e.EDDY_KAFKA_COMMAND_TOPIC,
      repliesTopic: e.EDDY_KAFKA_REPLIES_TOPIC,
      engineRequestsTopic: e.EDDY_KAFKA_ENGINE_REQUESTS_TOPIC,
      engineRequestsGroup: e.EDDY_KAFKA_ENGINE_REQUESTS_GROUP,
      requestTimeoutMs: e.EDDY_KAFKA_REQUEST_TIMEOUT_MS,
    },
    commandTopic:
      e.EDDY_KAFKA_COMMANDS === 'on'
        ? {
            topic: e.EDDY_KAFKA_COMMAND_TOPIC,
            resultsTopic: e.EDDY_KAFKA_COMMAND_RESULTS_TOPIC,
            repliesTopic: e.EDDY_KAFKA_REPLIES_TOPIC,
            deadLetterTopic: e.EDDY_KAFKA_COMMAND_DLQ_TOPIC,
            groupId: e.EDDY_KAFKA_COMMAND_GROUP,
            maxMessageBytes: e.EDDY_KAFKA_COMMAND_MAX_BYTES,
          }
        : null,
    oidc: e.EDDY_OIDC_CLIENT_ID
      ? { issuer: e.EDDY_JWT_ISSUER!, clientId: e.EDDY_OIDC_CLIENT_ID, scopes: e.EDDY_OIDC_SCOPES }
      : null,
    camunda8Sdk: Object.fromEntries(
      Object.entries(env).filter(
        (entry): entry is [string, string] =>
          /^(ZEEBE|CAMUNDA)_/.test(entry[0]) && entry[1] !== undefined && entry[1] !== '',
      ),
    ),
  };
}

/** The settings of `npm run admin`: the admin API it calls and the identity it calls it with. */
export interface AdminCliConfig {
  url: string;
  /** A bearer token; without it, the development identity headers of `user` in `group`. */
  token?: string;
  user: string;
  group: string;
}

/**
 * Reads the admin command line's settings through the same schema as the server's (an unknown
 * `EDDY_*` variable is refused here too), without the server's checks across settings: the command
 * line needs no secret of the server. Throws {@link ConfigurationError}.
 */
export function loadAdminCliConfig(env: Record<string, string | undefined> = process.env): AdminCliConfig {
  const schema = settingsSchema.pick({
    EDDY_ADMIN_URL: true,
    EDDY_ADMIN_TOKEN: true,
    EDDY_ADMIN_USER: true,
    EDDY_ADMIN_GROUPS: true,
    EDDY_HTTP_PORT: true,
  });
  const relevant = setSettings(env);
  const parsed = schema.safeParse(
    Object.fromEntries(Object.keys(schema.shape).map((name) => [name, relevant[name]])),
  );
  const unknown = unknownSettingProblems(env);
  if (!parsed.success || unknown.length > 0) {
    throw new ConfigurationError([...unknown, ...issueProblems(parsed.error)]);
  }
  const e = parsed.data;
  return {
    url: (e.EDDY_ADMIN_URL ?? `http://127.0.0.1:${e.EDDY_HTTP_PORT}`).replace(/\/+$/, ''),
    token: e.EDDY_ADMIN_TOKEN,
    user: e.EDDY_ADMIN_USER,
    group: e.EDDY_ADMIN_GROUPS[0] ?? 'admins',
  };
}
