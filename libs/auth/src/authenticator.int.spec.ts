import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Authenticator } from './authenticator';

type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

/** An OIDC issuer's JWKS endpoint on loopback, as the JWKS mode fetches it. */
describe('Authenticator with a JWKS URL', () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: SigningKey;
  let strangerKey: SigningKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    strangerKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'RS256', use: 'sig' };
    server = createServer((_, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const sign = (key: SigningKey, claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'key-1' })
      .setIssuer('https://idp.test')
      .setAudience('eddy')
      .setExpirationTime('2m')
      .sign(key);

  const authenticator = () =>
    new Authenticator({
      mode: 'jwt',
      jwt: { jwksUrl, issuer: 'https://idp.test', audience: 'eddy', userClaim: 'sub', groupsClaim: 'groups' },
      adminGroups: ['admins'],
      commandGroups: ['process-applications'],
    });

  it('verifies a token signed by a key of the issuer', async () => {
    const token = await sign(privateKey, { sub: 'dora', groups: ['admins'] });
    const { identity } = await authenticator().authenticate({ authorization: `Bearer ${token}` });
    expect(identity.userId).toBe('dora');
    expect(identity.permissions.has('admin')).toBe(true);
  });

  it('refuses a token signed by a key the issuer does not publish', async () => {
    const token = await sign(strangerKey, { sub: 'mallory', groups: ['admins'] });
    await expect(authenticator().authenticate({ authorization: `Bearer ${token}` })).rejects.toThrow(
      /invalid token/,
    );
  });
});
