import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';

/** A port of 127.0.0.1 that is free now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface TestProviderOptions {
  /** Where the web tasklist is served: its redirect URI is `${appUrl}/tasklist/`. */
  appUrl: string;
  /** Lifetime of the access tokens, in seconds. */
  accessTokenTtl: number;
  groups: Record<string, string[]>;
  /** Users who are given a refresh token with their access token (none by default). */
  refreshTokensFor?: string[];
}

export interface TestProvider {
  issuer: string;
  /** Resolves at the next access token issued for a refresh token. */
  nextRefresh(): Promise<void>;
  /**
   * An access token of this provider for `sub` (as a client of another kind would get one, for
   * example a process application through the client credentials grant).
   */
  accessToken(sub: string, groups: string[]): Promise<string>;
  close(): Promise<void>;
}

export const TASKLIST_CLIENT_ID = 'eddy-tasklist';
export const TASKLIST_AUDIENCE = 'urn:eddy:tasklist';
export const TASKLIST_SCOPES = 'openid tasklist';

/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1 for the sign-in tests: its development login
 * form takes any user name, access tokens are RS256 JWTs for the tasklist with the user's groups.
 */
export async function startOpenIdProvider(options: TestProviderOptions): Promise<TestProvider> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const key = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const groupsOf = (user: string | undefined) => options.groups[user ?? ''] ?? [];
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: TASKLIST_CLIENT_ID,
        token_endpoint_auth_method: 'none',
        redirect_uris: [`${options.appUrl}/tasklist/`],
        post_logout_redirect_uris: [`${options.appUrl}/tasklist/`],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [key] },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    issueRefreshToken: async (_ctx, _client, code) =>
      (options.refreshTokensFor ?? []).includes(code.accountId ?? ''),
    features: {
      devInteractions: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => TASKLIST_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'tasklist',
          audience: TASKLIST_AUDIENCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: options.accessTokenTtl,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    extraTokenClaims: async (_ctx, token) => ({
      groups: groupsOf((token as { accountId?: string }).accountId),
    }),
    // Every user has granted the tasklist everything it asks for: no consent page.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client!.clientId,
        accountId: ctx.oidc.session!.accountId!,
      });
      grant.addOIDCScope('openid');
      grant.addResourceScope(TASKLIST_AUDIENCE, 'tasklist');
      await grant.save();
      return grant;
    },
  });
  const refreshWaiters: (() => void)[] = [];
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    if (ctx.oidc.params?.grant_type === 'refresh_token')
      refreshWaiters.splice(0).forEach((resolve) => resolve());
  });
  const server: Server = await new Promise((resolve) => {
    const s = provider.listen(port, () => resolve(s));
  });
  return {
    issuer,
    nextRefresh: () => new Promise((resolve) => refreshWaiters.push(resolve)),
    accessToken: (sub, groups) =>
      new SignJWT({ groups, scope: 'tasklist' })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid })
        .setIssuer(issuer)
        .setAudience(TASKLIST_AUDIENCE)
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime(`${options.accessTokenTtl * 10}s`)
        .sign(privateKey),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
