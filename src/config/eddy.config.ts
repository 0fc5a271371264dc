import type { AuthOptions } from '@eddy/auth';
import { z } from 'zod';

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

/**
 * Every setting of Eddy, read from `EDDY_*` environment variables. The README's configuration
 * table lists them; a bad setting stops start-up with its name.
 */
const environmentSchema = z
  .object({
    EDDY_HTTP_PORT: integer(0, 65_535).default(4000),
    EDDY_HTTP_HOST: z.string().min(1).default('0.0.0.0'),
    EDDY_DATA_DIR: z.string().min(1).default('./data'),
    EDDY_BPMN_DIR: z.string().min(1).default('./bpmn'),
    EDDY_EVENT_STORE: z.enum(['sqlite', 'postgres', 'eventstoredb', 'memory']).default('sqlite'),
    EDDY_POSTGRES_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    EDDY_EVENTSTOREDB_URL: z.url({ protocol: /^esdb(\+discover)?$/ }).optional(),
    EDDY_ENGINE: z.enum(['embedded', 'camunda8', 'none']).default('embedded'),
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
    EDDY_MAX_BODY_BYTES: integer(1_024, 64 * 1024 * 1024).default(1024 * 1024),
    EDDY_COMMAND_RETRIES: integer(0, 100).default(5),
    EDDY_MAX_COMMANDS_PER_REQUEST: integer(1, 100_000).default(1_000),
    EDDY_MAX_PAYLOAD_DEPTH: integer(1, 1_000).default(64),
    EDDY_READ_YOUR_WRITES_TIMEOUT_MS: integer(1, 600_000).default(5_000),
    EDDY_GRAPHQL_MAX_DEPTH: integer(1, 100).default(10),
    EDDY_GRAPHQL_MAX_COST: integer(1, 10_000_000).default(20_000),
    EDDY_GRAPHQL_MAX_PAGE_SIZE: integer(1, 1_000).default(200),
    EDDY_WS_MAX_SUBSCRIPTIONS: integer(1, 10_000).default(20),
    EDDY_TASKS_WITHOUT_CANDIDATES: z.enum(['starters', 'nobody']).default('starters'),
    EDDY_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    EDDY_LOG_PRETTY: flag.default(false),
  })
  .superRefine((env, ctx) => {
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
    if (env.EDDY_VIEW_STORE === 'mongodb' && !env.EDDY_MONGODB_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['EDDY_MONGODB_URL'],
        message: 'is required when EDDY_VIEW_STORE=mongodb',
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

/** Every setting's default (`undefined`: none), as the README's configuration table lists them. */
export function settingDefaults(): Record<keyof EddyEnvironment, unknown> {
  // The settings alone, without the checks across settings (which need a secret or a URL).
  const defaults: Record<string, unknown> = z.object(environmentSchema.shape).parse({});
  return Object.fromEntries(
    Object.keys(environmentSchema.shape).map((name) => [name, defaults[name]]),
  ) as Record<keyof EddyEnvironment, unknown>;
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
  /** Where a checkpoint that does not belong to the event store goes on from; unset: start-up stops. */
  checkpointReset?: 'head' | 'start';
  viewStore: { kind: 'memory' | 'mongodb'; mongodbUrl?: string; mongodbDatabase: string };
  auth: AuthOptions;
  /** `maxPayloadDepth`: how deep payloads and variables may nest, in every API. */
  commands: { maxRetries: number; maxPerRequest: number; maxPayloadDepth: number };
  tasklist: {
    readYourWritesTimeoutMs: number;
    maxDepth: number;
    maxCost: number;
    maxPageSize: number;
    maxSubscriptionsPerConnection: number;
    maxPayloadBytes: number;
    /** Who sees a task without assignee and candidates: the starters of its process, or nobody. */
    tasksWithoutCandidates: 'starters' | 'nobody';
  };
  log: { level: EddyEnvironment['EDDY_LOG_LEVEL']; pretty: boolean };
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
  const relevant = Object.fromEntries(
    Object.entries(env).filter(
      ([key, value]) => key.startsWith('EDDY_') && value !== undefined && value !== '',
    ),
  );
  const parsed = environmentSchema.safeParse(relevant);
  const devMode = devModeProblem(relevant, env.NODE_ENV);
  // The Camunda 8 SDK reads its own settings; without an address it would quietly try localhost.
  const camunda8 =
    relevant.EDDY_ENGINE === 'camunda8' && !env.ZEEBE_REST_ADDRESS
      ? { variable: 'ZEEBE_REST_ADDRESS', message: 'is required when EDDY_ENGINE=camunda8' }
      : null;
  if (!parsed.success || devMode || camunda8) {
    throw new ConfigurationError([
      ...(parsed.error?.issues ?? []).map((issue) => ({
        variable: String(issue.path[0] ?? 'EDDY_*'),
        message: issue.message,
      })),
      ...(devMode ? [devMode] : []),
      ...(camunda8 ? [camunda8] : []),
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
    checkpointReset: e.EDDY_CHECKPOINT_RESET,
    viewStore: {
      kind: e.EDDY_VIEW_STORE,
      mongodbUrl: e.EDDY_MONGODB_URL,
      mongodbDatabase: e.EDDY_MONGODB_DATABASE,
    },
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
    },
    commands: {
      maxRetries: e.EDDY_COMMAND_RETRIES,
      maxPerRequest: e.EDDY_MAX_COMMANDS_PER_REQUEST,
      maxPayloadDepth: e.EDDY_MAX_PAYLOAD_DEPTH,
    },
    tasklist: {
      readYourWritesTimeoutMs: e.EDDY_READ_YOUR_WRITES_TIMEOUT_MS,
      maxDepth: e.EDDY_GRAPHQL_MAX_DEPTH,
      maxCost: e.EDDY_GRAPHQL_MAX_COST,
      maxPageSize: e.EDDY_GRAPHQL_MAX_PAGE_SIZE,
      maxSubscriptionsPerConnection: e.EDDY_WS_MAX_SUBSCRIPTIONS,
      maxPayloadBytes: e.EDDY_MAX_BODY_BYTES,
      tasksWithoutCandidates: e.EDDY_TASKS_WITHOUT_CANDIDATES,
    },
    log: { level: e.EDDY_LOG_LEVEL, pretty: e.EDDY_LOG_PRETTY },
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
