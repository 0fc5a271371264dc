import { describe, expect, it } from '@jest/globals';
import { parseRoles, ROLES, runsProjections, sharedStoreProblem, type ProcessRoles } from './roles';

const rolesOf = (value: string): ProcessRoles => {
  const parsed = parseRoles(value);
  if (!parsed.ok) throw new Error(parsed.problem);
  return parsed.roles;
};

describe('EDDY_ROLES', () => {
  it('is the single node with every role when unset or all', () => {
    expect(parseRoles(undefined)).toEqual({ ok: true, roles: { roles: ROLES, singleNode: true } });
    expect(parseRoles(' all ')).toEqual({ ok: true, roles: { roles: ROLES, singleNode: true } });
  });

  it('takes a comma-separated list, in the order of the roles, without repeats', () => {
    expect(rolesOf('api, projector,api')).toEqual({ roles: ['projector', 'api'], singleNode: false });
    expect(rolesOf('collector,core,relay,projector,api').singleNode).toBe(false);
  });

  it('names every unknown role and lists the known ones', () => {
    expect(parseRoles('api,apii,Core')).toEqual({
      ok: false,
      problem:
        "names unknown roles 'apii', 'Core': the roles are collector, core, relay, projector, api (or all)",
    });
    expect(parseRoles(' , ')).toMatchObject({ ok: false, problem: expect.stringMatching(/^names no role/) });
  });

  it('projects where the projector role is, and nowhere else', () => {
    expect(runsProjections(rolesOf('all'))).toBe(true);
    expect(runsProjections(rolesOf('projector'))).toBe(true);
    expect(runsProjections(rolesOf('api,core'))).toBe(false);
  });
});

describe('roles spread over processes', () => {
  it('refuse an event store that one process keeps to itself', () => {
    for (const store of ['sqlite', 'memory']) {
      expect(sharedStoreProblem(rolesOf('api'), store, 'mongodb')).toEqual({
        variable: 'EDDY_ROLES',
        message: expect.stringContaining(`needs an event store they share: EDDY_EVENT_STORE=${store}`),
      });
    }
    expect(sharedStoreProblem(rolesOf('all'), 'sqlite', 'memory')).toBeNull();
    expect(sharedStoreProblem(rolesOf('api'), 'postgres', 'mongodb')).toBeNull();
    expect(sharedStoreProblem(rolesOf('api'), 'eventstoredb', 'mongodb')).toBeNull();
  });

  it('keep views in memory only where the projector and the api are one process', () => {
    expect(sharedStoreProblem(rolesOf('api'), 'postgres', 'memory')?.message).toMatch(
      /serves views that no projector process can write/,
    );
    expect(sharedStoreProblem(rolesOf('projector'), 'postgres', 'memory')?.message).toMatch(
      /writes views that no api process can read/,
    );
    expect(sharedStoreProblem(rolesOf('projector,api'), 'postgres', 'memory')).toBeNull();
    expect(sharedStoreProblem(rolesOf('collector,core'), 'postgres', 'memory')).toBeNull();
  });
});
