import { describe, expect, it } from 'vitest';
import { ConfigurationError, loadConfig } from './eddy.config';

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

  it('reads lists and numbers', () => {
    const config = loadConfig({
      EDDY_AUTH_MODE: 'dev',
      EDDY_HTTP_PORT: '8081',
      EDDY_ADMIN_GROUPS: 'ops, platform-admins',
    });
    expect(config.http.port).toBe(8081);
    expect(config.auth.adminGroups).toEqual(['ops', 'platform-admins']);
  });

  it.each([
    [{ EDDY_HTTP_PORT: 'eighty' }, 'EDDY_HTTP_PORT'],
    [{ EDDY_HTTP_PORT: '70000' }, 'EDDY_HTTP_PORT'],
    [{ EDDY_AUTH_MODE: 'none' }, 'EDDY_AUTH_MODE'],
    [{ EDDY_AUTH_MODE: 'jwt' }, 'EDDY_JWT_SECRET'],
    [{ EDDY_JWT_SECRET: 'short' }, 'EDDY_JWT_SECRET'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_EVENT_STORE: 'postgres' }, 'EDDY_POSTGRES_URL'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_JWT_JWKS_URL: 'not a url' }, 'EDDY_JWT_JWKS_URL'],
  ])('refuses %o naming %s', (env, variable) => {
    try {
      loadConfig(env);
      expect.unreachable('configuration should have been refused');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).problems.map((p) => p.variable)).toContain(variable);
      expect((error as Error).message).toContain(variable);
    }
  });
});
