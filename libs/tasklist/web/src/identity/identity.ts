/** Who the page acts as: in the development identity mode, a user and groups named by hand. */
export interface DevIdentity {
  user: string;
  groups: string[];
}

const KEY = 'eddy.tasklist.identity';

/** The identity of this browser tab (session storage, so two tabs may be two users). */
export function loadIdentity(): DevIdentity | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as DevIdentity;
    return typeof parsed.user === 'string' && Array.isArray(parsed.groups) ? parsed : null;
  } catch {
    return null;
  }
}

export function saveIdentity(identity: DevIdentity | null): void {
  if (identity) sessionStorage.setItem(KEY, JSON.stringify(identity));
  else sessionStorage.removeItem(KEY);
}

/** The identity as the server reads it: `x-user` / `x-groups` headers, and the same keys in connection_init. */
export function identityHeaders(identity: DevIdentity): Record<string, string> {
  return { 'x-user': identity.user, 'x-groups': identity.groups.join(',') };
}

/** Groups as typed into the picker: comma separated, blanks dropped. */
export function parseGroups(text: string): string[] {
  return text
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g.length > 0);
}
