import { exportJWK, generateKeyPair } from 'jose';
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
}

export const TASKLIST_CLIENT_ID = 'eddy-tasklist';
export const TASKLIST_AUDIENCE = 'urn:eddy:tasklist';
export const TASKLIST_SCOPES = 'openid tasklist';

/**
 * A real OpenID provider (oidc-provider) on 127.0.0.1 for the sign-in tests: its development login
 * form takes any user name, access tokens are RS256 JWTs for the tasklist with the user's groups.
 */
export async function startOpenIdProvider(
  options: TestProviderOptions,
): Promise<{ issuer: string; close(): Promise<void> }> {
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
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [key] },
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
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
  const server: Server = await new Promise((resolve) => {
    const s = provider.listen(port, () => resolve(s));
  });
  return {
    issuer,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
