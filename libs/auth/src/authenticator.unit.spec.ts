import { SignJWT } from 'jose';
import { describe, expect, it } from '@jest/globals';
import { Authenticator } from './authenticator';
import { AuthenticationError, type AuthOptions } from './identity';

const secret = 'test-secret-that-is-long-enough-for-hs256';
const options = (
  overrides: Partial<AuthOptions> = {},
  jwt: Partial<AuthOptions['jwt']> = {},
): AuthOptions => ({
  mode: 'jwt',
  jwt: { secret, userClaim: 'sub', groupsClaim: 'groups', ...jwt },
  adminGroups: ['admins'],
  commandGroups: ['process-applications'],
  ...overrides,
});
const sign = (claims: Record<string, unknown>, exp: string | number = '1h', key = secret) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime(exp)
    .setIssuer((claims.iss as string) ?? 'eddy-test')
    .setAudience((claims.aud as string) ?? 'eddy')
    .sign(new TextEncoder().encode(key));

describe('Authenticator', () => {
  it('accepts a valid HS256 token and maps groups to permissions', async () => {
    const auth = new Authenticator(options({}, { issuer: 'eddy-test', audience: 'eddy' }));
    const token = await sign({ sub: 'alice', groups: ['admins', 'sales'] });
    const { identity, expiresAt } = await auth.authenticate({ Authorization: `Bearer ${token}` });
    expect(identity.userId).toBe('alice');
    expect(identity.groups).toEqual(['admins', 'sales']);
    expect([...identity.permissions]).toEqual(['admin']);
    expect(expiresAt).toBeGreaterThan(Date.now());
  });

  it('reads groups from a configured claim holding a comma separated string', async () => {
    const auth = new Authenticator(options({}, { groupsClaim: 'roles', userClaim: 'preferred_username' }));
    const token = await sign({ preferred_username: 'svc', roles: 'process-applications, x' });
    const { identity } = await auth.authenticate({ authorization: `Bearer ${token}` });
    expect(identity.userId).toBe('svc');
    expect(identity.groups).toEqual(['process-applications', 'x']);
    expect(identity.permissions.has('commands:write')).toBe(true);
  });

  it.each([
    ['an expired token', async () => sign({ sub: 'a' }, Math.floor(Date.now() / 1000) - 60), /expired/],
    [
      'a token signed with another key',
      async () => sign({ sub: 'a' }, '1h', 'another-secret-another-secret!!'),
      /invalid token/,
    ],
    ['a token of another issuer', async () => sign({ sub: 'a', iss: 'evil' }), /invalid token/],
    ['a token for another audience', async () => sign({ sub: 'a', aud: 'other' }), /invalid token/],
    ['a token without a user claim', async () => sign({ groups: [] }), /'sub' claim/],
  ])('refuses %s', async (_, token, message) => {
    const auth = new Authenticator(options({}, { issuer: 'eddy-test', audience: 'eddy' }));
    const value = await token();
    await expect(auth.authenticate({ Authorization: `Bearer ${value}` })).rejects.toThrow(message);
  });

  it('refuses dev headers in jwt mode and a missing identity', async () => {
    const auth = new Authenticator(options());
    await expect(auth.authenticate({ 'x-user': 'mallory' })).rejects.toBeInstanceOf(AuthenticationError);
    await expect(auth.authenticate({ Authorization: 'Basic abc' })).rejects.toThrow(/Bearer/);
  });

  it('accepts x-user and x-groups in development mode only', async () => {
    const auth = new Authenticator(options({ mode: 'dev' }));
    const { identity } = await auth.authenticate({
      'x-user': 'bob',
      'x-groups': 'sales, process-applications',
    });
    expect(identity).toMatchObject({ userId: 'bob', groups: ['sales', 'process-applications'] });
    expect(identity.permissions.has('commands:write')).toBe(true);
    await expect(auth.authenticate({})).rejects.toThrow(/x-user/);
    await expect(auth.authenticate({ 'x-user': 'has space' })).rejects.toThrow(/x-user/);
  });

  it('refuses a token without exp', async () => {
    const auth = new Authenticator(options());
    const token = await new SignJWT({ sub: 'eve' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .sign(new TextEncoder().encode(secret));
    await expect(auth.authenticate({ Authorization: `Bearer ${token}` })).rejects.toThrow(/no exp claim/);
  });

  it('refuses a token that lives longer than the maximum, from iat or from now', async () => {
    const auth = new Authenticator(options({}, { maxLifetimeSeconds: 3600 }));
    const now = Math.floor(Date.now() / 1000);
    const withIat = (iat: number, exp: number) =>
      new SignJWT({ sub: 'eve' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(new TextEncoder().encode(secret));
    const refused = [await sign({ sub: 'eve' }, now + 3700), await withIat(now - 600, now + 3300)];
    for (const token of refused) {
      await expect(auth.authenticate({ Authorization: `Bearer ${token}` })).rejects.toThrow(
        /longer than the allowed 3600 s/,
      );
    }
    const accepted = await withIat(now - 60, now + 3500);
    const { expiresAt } = await auth.authenticate({ Authorization: `Bearer ${accepted}` });
    expect(expiresAt).toBe((now + 3500) * 1000);
  });

  it('refuses a token of more than 24 hours by default', async () => {
    const auth = new Authenticator(options());
    const token = await sign({ sub: 'eve' }, '25h');
    await expect(auth.authenticate({ Authorization: `Bearer ${token}` })).rejects.toThrow(/86400 s/);
    expect(
      (await auth.authenticate({ Authorization: `Bearer ${await sign({ sub: 'eve' }, '23h')}` })).identity
        .userId,
    ).toBe('eve');
  });

  it('verifies a bearer token in development mode when a key is configured, never ignoring it', async () => {
    const auth = new Authenticator(options({ mode: 'dev' }));
    const token = await sign({ sub: 'alice' });
    const { identity } = await auth.authenticate({ Authorization: `Bearer ${token}`, 'x-user': 'mallory' });
    expect(identity.userId).toBe('alice');
    await expect(auth.authenticate({ Authorization: 'Bearer forged', 'x-user': 'mallory' })).rejects.toThrow(
      /invalid token/,
    );
  });

  it('refuses a bearer token in development mode without a key, instead of ignoring it', async () => {
    const auth = new Authenticator(options({ mode: 'dev' }, { secret: undefined }));
    const token = await sign({ sub: 'alice' });
    await expect(
      auth.authenticate({ Authorization: `Bearer ${token}`, 'x-user': 'mallory' }),
    ).rejects.toThrow(/cannot be verified without EDDY_JWT_SECRET/);
  });

  it('fails fast in jwt mode without a secret or a JWKS URL', () => {
    expect(() => new Authenticator(options({}, { secret: undefined }))).toThrow(/EDDY_JWT_SECRET/);
  });
});
