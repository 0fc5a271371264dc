/**
 * The roles a process of the distributed deployment may take (`EDDY_ROLES`). One image runs every
 * role; a process composes only the modules of its roles (see `role-modules.ts`).
 */
export const ROLES = ['collector', 'core', 'relay', 'projector', 'api'] as const;

export type Role = (typeof ROLES)[number];

/** The roles of a process: every role (the single node) or the ones `EDDY_ROLES` names. */
export interface ProcessRoles {
  /** The roles, in the order of {@link ROLES}. */
  roles: readonly Role[];
  /** `EDDY_ROLES` is unset or `all`: one process runs the whole platform on its own stores. */
  singleNode: boolean;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/**
 * Reads `EDDY_ROLES`: `all` (the default) or a comma-separated list of {@link ROLES}. Answers the
 * problem, naming the unknown roles, when there is one.
 */
export function parseRoles(
  value: string | undefined,
): { ok: true; roles: ProcessRoles } | { ok: false; problem: string } {
  const text = value?.trim() ?? '';
  if (text === '' || text === 'all') return { ok: true, roles: { roles: ROLES, singleNode: true } };
  const named = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  const unknown = named.filter((item) => !isRole(item));
  if (unknown.length > 0) {
    return {
      ok: false,
      problem: `names unknown role${unknown.length > 1 ? 's' : ''} ${unknown.map((r) => `'${r}'`).join(', ')}: the roles are ${ROLES.join(', ')} (or all)`,
    };
  }
  if (named.length === 0)
    return { ok: false, problem: `names no role: the roles are ${ROLES.join(', ')} (or all)` };
  return { ok: true, roles: { roles: ROLES.filter((role) => named.includes(role)), singleNode: false } };
}

/**
 * Whether this process writes the views. The one place that decides it: the `projector` role (a
 * process without it only reads views another process writes).
 */
export function runsProjections(roles: ProcessRoles): boolean {
  return roles.roles.includes('projector');
}

/**
 * Why these roles cannot run on these stores, or null. Roles spread over processes must share the
 * event store, so SQLite (a file of one process) and memory (nothing shared) refuse them; views in
 * memory are seen only by the process that writes them, so there `projector` and `api` go together.
 */
export function sharedStoreProblem(
  roles: ProcessRoles,
  eventStore: string,
  viewStore: string,
): { variable: string; message: string } | null {
  if (roles.singleNode) return null;
  const named = roles.roles.join(',');
  if (eventStore === 'sqlite' || eventStore === 'memory') {
    return {
      variable: 'EDDY_ROLES',
      message: `${named} spreads the roles over processes, which needs an event store they share: EDDY_EVENT_STORE=${eventStore} is one process's own (use postgres or eventstoredb, or leave EDDY_ROLES unset for the single node)`,
    };
  }
  const projects = runsProjections(roles);
  const serves = roles.roles.includes('api');
  if (viewStore === 'memory' && projects !== serves) {
    return {
      variable: 'EDDY_ROLES',
      message: projects
        ? `${named} writes views that no api process can read with EDDY_VIEW_STORE=memory (use mongodb, or add api to this process)`
        : `${named} serves views that no projector process can write with EDDY_VIEW_STORE=memory (use mongodb, or add projector to this process)`,
    };
  }
  return null;
}
