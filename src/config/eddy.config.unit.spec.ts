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
    expect(config.viewStore).toEqual({ kind: 'memory', mongodbUrl: undefined, mongodbDatabase: 'eddy' });
  });

  it('reads the MongoDB view store settings', () => {
    const config = loadConfig({
      EDDY_AUTH_MODE: 'dev',
      EDDY_VIEW_STORE: 'mongodb',
      EDDY_MONGODB_URL: 'mongodb://a.example:27017,b.example:27017/?replicaSet=rs0',
      EDDY_MONGODB_DATABASE: 'eddy_views',
    });
    expect(config.viewStore).toEqual({
      kind: 'mongodb',
      mongodbUrl: 'mongodb://a.example:27017,b.example:27017/?replicaSet=rs0',
      mongodbDatabase: 'eddy_views',
    });
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
    [{ EDDY_AUTH_MODE: 'dev', EDDY_VIEW_STORE: 'mongodb' }, 'EDDY_MONGODB_URL'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_VIEW_STORE: 'redis' }, 'EDDY_VIEW_STORE'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_MONGODB_URL: 'http://127.0.0.1:27017' }, 'EDDY_MONGODB_URL'],
    [{ EDDY_AUTH_MODE: 'dev', EDDY_MONGODB_DATABASE: 'a.b' }, 'EDDY_MONGODB_DATABASE'],
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
