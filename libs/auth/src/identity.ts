/**
 * What an authenticated caller may do beyond working on their own tasks. `tasks:manage`: hand any task
 * one can see to another user and change its priority and dates.
 */
export type Permission = 'commands:write' | 'admin' | 'tasks:manage';

/** The caller of an API: a user (or a service) with groups and the permissions its groups grant. */
export interface Identity {
  userId: string;
  groups: readonly string[];
  permissions: ReadonlySet<Permission>;
}

/** An identity and, for tokens, when it stops being valid (epoch milliseconds). */
export interface Authentication {
  identity: Identity;
  expiresAt: number | null;
}

/** Settings of authentication, taken from the application's configuration. */
export interface AuthOptions {
  mode: 'jwt' | 'dev';
  jwt: {
    /** HS256 shared secret. */
    secret?: string;
    /** JWKS URL of an OIDC issuer (RS256, ES256, ...). */
    jwksUrl?: string;
    issuer?: string;
    audience?: string;
    /** Claim holding the user id. */
    userClaim: string;
    /** Claim holding the user's groups (an array of strings, or a comma separated string). */
    groupsClaim: string;
    /**
     * Longest lifetime a token may have, in seconds (from `iat`, or from now without it); a longer
     * one is refused, as is a token without `exp`. Default {@link DEFAULT_MAX_TOKEN_LIFETIME_SECONDS}.
     */
    maxLifetimeSeconds?: number;
  };
  /** Members of these groups hold `admin`. */
  adminGroups: readonly string[];
  /** Members of these groups hold `commands:write`. */
  commandGroups: readonly string[];
  /** Members of these groups hold `tasks:manage`. Default: none. */
  taskManagerGroups?: readonly string[];
}

/** 24 hours: the default longest lifetime of a token. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 86_400;

/**
 * What the development identity mode prints when it starts, as warnings that no log level hides
 * (the application writes them; see `src/main.ts`).
 */
export const DEV_MODE_WARNING: readonly string[] = [
  'AUTH-000 DEVELOPMENT IDENTITY MODE IS ON (EDDY_AUTH_MODE=dev).',
  'AUTH-000 Any caller can claim to be any user with the x-user and x-groups headers.',
  'AUTH-000 Never run this mode where anyone but you can reach the server.',
];

/** Injection token of the {@link AuthOptions}. */
export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

/** Authentication failed: the API answers 401 (HTTP), `UNAUTHENTICATED` (GraphQL) or closes with 4401. */
export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationError';
  }
}

export function permissionsOf(groups: readonly string[], options: AuthOptions): Set<Permission> {
  const permissions = new Set<Permission>();
  if (groups.some((g) => options.adminGroups.includes(g))) permissions.add('admin');
  if (groups.some((g) => options.commandGroups.includes(g))) permissions.add('commands:write');
  if (groups.some((g) => options.taskManagerGroups?.includes(g))) permissions.add('tasks:manage');
  return permissions;
}
