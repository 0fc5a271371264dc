import { Inject, Injectable } from '@nestjs/common';
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { createSecretKey, type KeyObject } from 'node:crypto';
import {
  AUTH_OPTIONS,
  AuthenticationError,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  permissionsOf,
  type Authentication,
  type AuthOptions,
} from './identity';

/** Request headers or a graphql-ws `connection_init` payload: keys are matched case-insensitively. */
export type Credentials = Record<string, unknown>;

const userPattern = /^[^\s,#]{1,256}$/;

/**
 * Turns credentials into an identity. Every API (commands, admin, GraphQL over HTTP and over
 * WebSocket) authenticates through this one class, so they all accept and refuse the same callers.
 * A token must carry `exp` and may live at most `jwt.maxLifetimeSeconds`.
 */
@Injectable()
export class Authenticator {
  private readonly key: KeyObject | JWTVerifyGetKey | undefined;

  constructor(@Inject(AUTH_OPTIONS) private readonly options: AuthOptions) {
    // Configured keys count in dev mode too: a bearer token is verified there, never ignored.
    if (options.jwt.jwksUrl) this.key = createRemoteJWKSet(new URL(options.jwt.jwksUrl));
    else if (options.jwt.secret) this.key = createSecretKey(Buffer.from(options.jwt.secret, 'utf8'));
    else if (options.mode === 'jwt')
      throw new Error('AUTH-001 jwt mode needs EDDY_JWT_SECRET or EDDY_JWT_JWKS_URL');
  }

  get mode(): AuthOptions['mode'] {
    return this.options.mode;
  }

  /** Authenticates the caller, or throws {@link AuthenticationError} saying why not. */
  async authenticate(credentials: Credentials): Promise<Authentication> {
    const header = (name: string): string | undefined => {
      for (const [key, value] of Object.entries(credentials)) {
        if (key.toLowerCase() === name) {
          if (typeof value === 'string') return value;
          if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
        }
      }
      return undefined;
    };
    const authorization = header('authorization');
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match) throw new AuthenticationError('Authorization must be "Bearer <token>"');
      // Development mode without a key: a token is refused rather than ignored in favour of x-user.
      if (!this.key)
        throw new AuthenticationError(
          'a bearer token cannot be verified without EDDY_JWT_SECRET or EDDY_JWT_JWKS_URL',
        );
      return this.verifyToken(match[1]);
    }
    if (this.options.mode === 'dev') {
      const user = header('x-user');
      if (user === undefined) throw new AuthenticationError('no identity: send x-user (development mode)');
      if (!userPattern.test(user)) throw new AuthenticationError('x-user is not a valid user name');
      const groups = (header('x-groups') ?? '')
        .split(',')
        .map((g) => g.trim())
        .filter((g) => g.length > 0);
      if (groups.some((g) => !userPattern.test(g)))
        throw new AuthenticationError('x-groups holds an invalid group');
      return {
        identity: { userId: user, groups, permissions: permissionsOf(groups, this.options) },
        expiresAt: null,
      };
    }
    throw new AuthenticationError('no identity: send Authorization: Bearer <token>');
  }

  private async verifyToken(token: string): Promise<Authentication> {
    let payload: JWTPayload;
    try {
      const options = {
        issuer: this.options.jwt.issuer,
        audience: this.options.jwt.audience,
        requiredClaims: ['exp'],
      };
      const result =
        typeof this.key === 'function'
          ? await jwtVerify(token, this.key, options)
          : await jwtVerify(token, this.key as KeyObject, { ...options, algorithms: ['HS256'] });
      payload = result.payload;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new AuthenticationError('token expired');
      if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'exp')
        throw new AuthenticationError('token has no exp claim: tokens must expire');
      if (error instanceof joseErrors.JOSEError)
        throw new AuthenticationError(`invalid token: ${error.code}`);
      throw error;
    }
    // jwtVerify has checked that exp is a number in the future.
    const expiresAt = (payload.exp as number) * 1000;
    const maxLifetimeSeconds = this.options.jwt.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
    const issuedAt = typeof payload.iat === 'number' ? payload.iat * 1000 : Date.now();
    if (expiresAt - Math.min(issuedAt, Date.now()) > maxLifetimeSeconds * 1000) {
      throw new AuthenticationError(
        `token lives longer than the allowed ${maxLifetimeSeconds} s (EDDY_JWT_MAX_LIFETIME_SECONDS)`,
      );
    }
    const userId = payload[this.options.jwt.userClaim];
    if (typeof userId !== 'string' || !userPattern.test(userId)) {
      throw new AuthenticationError(`token has no valid '${this.options.jwt.userClaim}' claim`);
    }
    const rawGroups = payload[this.options.jwt.groupsClaim];
    const groups =
      rawGroups === undefined
        ? []
        : Array.isArray(rawGroups)
          ? rawGroups.filter((g): g is string => typeof g === 'string')
          : typeof rawGroups === 'string'
            ? rawGroups
                .split(',')
                .map((g) => g.trim())
                .filter(Boolean)
            : [];
    return {
      identity: { userId, groups, permissions: permissionsOf(groups, this.options) },
      expiresAt,
    };
  }
}
