import { useState } from 'preact/hooks';
import { parseGroups, type DevIdentity } from './identity';

/** Users and groups of the example processes in `bpmn/`, offered as suggestions. */
const EXAMPLES: DevIdentity[] = [
  { user: 'alice', groups: ['accounting'] },
  { user: 'bob', groups: ['accounting'] },
  { user: 'carol', groups: ['clerks'] },
  { user: 'dave', groups: ['assessors'] },
  { user: 'erin', groups: ['underwriters'] },
];

/** The banner every page of the development identity mode shows. */
export function DevModeBanner() {
  return (
    <p class="dev-banner" role="note">
      <strong>Development identity mode.</strong> Anyone can act as any user here: never expose this server.
    </p>
  );
}

/** Picks the user and groups the page acts as, in the development identity mode. */
export function DevIdentityPicker({
  onPick,
  current,
}: {
  onPick: (i: DevIdentity) => void;
  current: DevIdentity | null;
}) {
  const [user, setUser] = useState(current?.user ?? '');
  const [groups, setGroups] = useState(current?.groups.join(', ') ?? '');
  const [error, setError] = useState<string | null>(null);
  const submit = (event: Event) => {
    event.preventDefault();
    const name = user.trim();
    if (!/^[^\s,#]{1,256}$/.test(name)) {
      setError('user: a name without spaces, commas or #');
      return;
    }
    onPick({ user: name, groups: parseGroups(groups) });
  };
  return (
    <form class="identity-picker" onSubmit={submit} aria-labelledby="identity-title">
      <h2 id="identity-title">Who are you?</h2>
      <label for="identity-user">User</label>
      <input
        id="identity-user"
        name="user"
        list="identity-users"
        autocomplete="off"
        value={user}
        onInput={(e) => setUser(e.currentTarget.value)}
      />
      <datalist id="identity-users">
        {EXAMPLES.map((e) => (
          <option key={e.user} value={e.user} />
        ))}
      </datalist>
      <label for="identity-groups">Groups (comma separated)</label>
      <input
        id="identity-groups"
        name="groups"
        autocomplete="off"
        value={groups}
        onInput={(e) => setGroups(e.currentTarget.value)}
      />
      <p class="hint">Examples: {EXAMPLES.map((e) => `${e.user} (${e.groups.join(', ')})`).join(', ')}</p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="submit">Work as this user</button>
    </form>
  );
}
