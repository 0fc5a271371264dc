/** What an authenticated caller may do beyond working on their own tasks. */
export type Permission = 'commands:write' | 'admin';

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
  };
  /** Members of these groups hold `admin`. */
  adminGroups: readonly string[];
  /** Members of these groups hold `commands:write`. */
  commandGroups: readonly string[];
}

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
  return permissions;
}
