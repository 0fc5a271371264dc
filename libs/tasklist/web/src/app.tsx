import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ME } from './api/documents';
import { ClosedTasksView } from './closed-tasks/closed-tasks-view';
import { DataEntriesView } from './data-entries/data-entries-view';
import { TasklistApi } from './api/graphql-client';
import { DevIdentityPicker, DevModeBanner } from './identity/dev-identity';
import { identityHeaders, loadIdentity, saveIdentity, type DevIdentity } from './identity/identity';
import { OidcSession, type OidcSettings } from './identity/oidc-session';
import { StartProcess } from './processes/start-process';
import { TaskDetail } from './tasks/task-detail';
import { SavedFilters } from './tasks/saved-filters';
import {
  EMPTY_FILTER_FORM,
  FilterFormError,
  filterFormOf,
  taskFilterOf,
  type FilterForm,
} from './tasks/task-filter';
import { TaskFilters } from './tasks/task-filters';
import { PAGE_SIZE, TaskList } from './tasks/task-list';
import type { SavedFilter, TaskFilter, TaskSort } from './tasks/task.types';
import { useLiveTaskCounts } from './tasks/use-live-task-counts';
import { useLiveTasks } from './tasks/use-live-tasks';

/** What `/tasklist/settings.json` tells the page. */
interface PageSettings {
  authMode: 'jwt' | 'dev';
  graphqlPath: string;
  oidc: OidcSettings | null;
}

type TabId = 'mine' | 'group' | 'all';
const TABS: { id: TabId; label: string; filter: TaskFilter }[] = [
  { id: 'mine', label: 'My tasks', filter: { assignedToMe: true } },
  { id: 'group', label: 'Group tasks', filter: { unassigned: true } },
  { id: 'all', label: 'All tasks', filter: {} },
];

/** The lists' order until the user chooses another; a search switches to its relevance. */
const DEFAULT_SORT: TaskSort = { field: 'CREATE_TIME', direction: 'ASC' };
const searches = (form: FilterForm) => form.search.trim() !== '';

export function App() {
  const [settings, setSettings] = useState<PageSettings | null>(null);
  const [settingsError, setSettingsError] = useState<string | null>(null);
  const [identity, setIdentity] = useState<DevIdentity | null>(loadIdentity());

  useEffect(() => {
    fetch('settings.json')
      .then(async (r) => {
        if (!r.ok) throw new Error(`settings.json answered ${r.status}`);
        setSettings((await r.json()) as PageSettings);
      })
      .catch((error: Error) => setSettingsError(`The server cannot be reached: ${error.message}`));
  }, []);

  const pick = (next: DevIdentity | null) => {
    saveIdentity(next);
    setIdentity(next);
  };

  if (settingsError) {
    return (
      <main>
        <p class="error" role="alert">
          {settingsError}
        </p>
      </main>
    );
  }
  if (!settings) return <main class="muted">Loading…</main>;
  if (settings.authMode !== 'dev') {
    if (!settings.oidc) {
      return (
        <main>
          <h1>Eddy tasklist</h1>
          <p class="error" role="alert">
            This server authenticates with tokens, but no OpenID provider is configured for this page
            (EDDY_OIDC_CLIENT_ID).
          </p>
        </main>
      );
    }
    return <OidcGate settings={settings} oidc={settings.oidc} />;
  }
  return (
    <>
      <DevModeBanner />
      {identity ? (
        <Workspace
          key={`${identity.user}|${identity.groups.join(',')}`}
          settings={settings}
          credentials={() => identityHeaders(identity)}
          signOutLabel="Change user"
          onSignOut={() => pick(null)}
        />
      ) : (
        <main>
          <h1>Eddy tasklist</h1>
          <DevIdentityPicker current={null} onPick={pick} />
        </main>
      )}
    </>
  );
}

/** Signs in at the OpenID provider (jwt mode), then shows the workspace until the session ends. */
function OidcGate({ settings, oidc }: { settings: PageSettings; oidc: OidcSettings }) {
  const session = useMemo(() => new OidcSession(oidc), [oidc]);
  const onTokenRenewed = useCallback((listener: () => void) => session.onRenewed(listener), [session]);
  const [state, setState] = useState<'restoring' | 'signed-out' | 'expired' | 'signed-in'>('restoring');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    session
      .restore()
      .then((user) => setState(user ? 'signed-in' : 'signed-out'))
      .catch((e: Error) => {
        setError(`Signing in failed: ${e.message}`);
        setState('signed-out');
      });
    return session.watch(() => setState('expired'));
  }, [session]);
  if (state === 'restoring') return <main class="muted">Signing in…</main>;
  if (state === 'signed-in') {
    return (
      <Workspace
        settings={settings}
        credentials={() => session.credentials()}
        onTokenRenewed={onTokenRenewed}
        signOutLabel="Sign out"
        onSignOut={() => void session.signOut().then(() => setState('signed-out'))}
      />
    );
  }
  return (
    <main>
      <h1>Eddy tasklist</h1>
      {state === 'expired' && (
        <p class="error" role="alert">
          Your session has expired: sign in again.
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button
        type="button"
        onClick={() => void session.signIn().catch((e: Error) => setError(`Signing in failed: ${e.message}`))}
      >
        Sign in
      </button>
    </main>
  );
}

interface WorkspaceProps {
  settings: PageSettings;
  /** Called for every request and connection, so that a renewed token is used at once. */
  credentials: () => Record<string, string>;
  /** Subscribes to renewals of the token (jwt mode); returns the unsubscribe. */
  onTokenRenewed?: (listener: () => void) => () => void;
  signOutLabel: string;
  onSignOut: () => void;
}

function Workspace({ settings, credentials, onTokenRenewed, signOutLabel, onSignOut }: WorkspaceProps) {
  // One API client per workspace: `credentials` reads the current identity each time.
  const [api] = useState(() => new TasklistApi(settings.graphqlPath, credentials));
  useEffect(() => () => api.dispose(), [api]);
  useEffect(() => onTokenRenewed?.(() => api.reconnect()), [api, onTokenRenewed]);

  const [me, setMe] = useState<{ id: string; groups: string[] } | null>(null);
  const [meError, setMeError] = useState<string | null>(null);
  useEffect(() => {
    api
      .request<{ me: { id: string; groups: string[] } }>(ME)
      .then((r) => setMe(r.me))
      .catch((error: Error) => setMeError(error.message));
  }, [api]);

  const [view, setView] = useState<'tasks' | 'done' | 'start' | 'entries'>('tasks');
  const [tab, setTab] = useState<TabId>('group');
  const [form, setForm] = useState<FilterForm>(EMPTY_FILTER_FORM);
  const [formError, setFormError] = useState<FilterFormError | null>(null);
  const [sort, setSort] = useState<TaskSort | null>(DEFAULT_SORT);
  const [selected, setSelected] = useState<string | null>(null);

  const filters = useMemo(() => {
    try {
      return Object.fromEntries(TABS.map((t) => [t.id, taskFilterOf(form, t.filter)])) as Record<
        TabId,
        TaskFilter
      >;
    } catch {
      return null;
    }
  }, [form]);
  const apply = (next: FilterForm): boolean => {
    try {
      TABS.forEach((t) => taskFilterOf(next, t.filter));
    } catch (error) {
      if (error instanceof FilterFormError) {
        setFormError(error);
        return false;
      }
      throw error;
    }
    setFormError(null);
    // A new search ranks by relevance; without a search there is no relevance to sort by.
    if (searches(next) && !searches(form)) setSort(null);
    else if (!searches(next) && sort === null) setSort(DEFAULT_SORT);
    setForm(next);
    return true;
  };
  const chooseSaved = (saved: SavedFilter) => {
    const next = filterFormOf(saved.filter);
    if (apply(next)) setSort(saved.sort[0] ?? (searches(next) ? null : DEFAULT_SORT));
  };
  // `form` only ever holds what `apply` accepted, so it always gives a filter.
  const current = useMemo(() => ({ filter: taskFilterOf(form, {}), sort }), [form, sort]);

  // Each tab reads one page at a time (a new filter or sort starts again at its first page); one
  // subscription counts all three.
  const lists: Record<TabId, ReturnType<typeof useLiveTasks>> = {
    mine: useLiveTasks(api, filters?.mine ?? null, sort, PAGE_SIZE),
    group: useLiveTasks(api, filters?.group ?? null, sort, PAGE_SIZE),
    all: useLiveTasks(api, filters?.all ?? null, sort, PAGE_SIZE),
  };
  const counts = useLiveTaskCounts(api, filters && TABS.map((t) => filters[t.id])).counts;
  const countOf = (id: TabId): number | null => counts?.[TABS.findIndex((t) => t.id === id)] ?? null;
  const liveVersions = selected ? TABS.map((t) => lists[t.id].versionOf(selected) ?? 0) : [];
  const liveVersion =
    liveVersions.length > 0 && Math.max(...liveVersions) > 0 ? Math.max(...liveVersions) : undefined;

  const onTabKey = (event: KeyboardEvent, index: number) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    event.preventDefault();
    const next = TABS[(index + step + TABS.length) % TABS.length];
    setTab(next.id);
    document.getElementById(`tab-${next.id}`)?.focus();
  };

  return (
    <>
      <header class="top">
        <h1>Eddy tasklist</h1>
        <p class="who">
          Working as <strong>{me?.id ?? '…'}</strong>
          {me && me.groups.length > 0 && <> ({me.groups.join(', ')})</>}
        </p>
        <nav aria-label="Views" class="views">
          <button type="button" aria-pressed={view === 'tasks'} onClick={() => setView('tasks')}>
            Tasks
          </button>
          <button type="button" aria-pressed={view === 'done'} onClick={() => setView('done')}>
            Done
          </button>
          <button type="button" aria-pressed={view === 'entries'} onClick={() => setView('entries')}>
            Data entries
          </button>
          <button type="button" aria-pressed={view === 'start'} onClick={() => setView('start')}>
            Start a process
          </button>
          <button type="button" class="secondary" onClick={onSignOut}>
            {signOutLabel}
          </button>
        </nav>
      </header>
      <main>
        {meError && (
          <p class="error" role="alert">
            {meError}
          </p>
        )}
        {view === 'done' && <ClosedTasksView api={api} />}
        {view === 'start' && <StartProcess api={api} />}
        {view === 'entries' && <DataEntriesView api={api} />}
        {view === 'tasks' && (
          <div class={`workspace${selected ? ' with-detail' : ''}`}>
            <section class="lists" aria-label="Task lists">
              <div role="tablist" aria-label="Task lists" class="tabs">
                {TABS.map((t, i) => (
                  <button
                    key={t.id}
                    id={`tab-${t.id}`}
                    type="button"
                    role="tab"
                    aria-selected={tab === t.id}
                    aria-controls={`panel-${t.id}`}
                    tabIndex={tab === t.id ? 0 : -1}
                    onClick={() => setTab(t.id)}
                    onKeyDown={(e) => onTabKey(e, i)}
                  >
                    {t.label}{' '}
                    <span class="count" data-testid={`count-${t.id}`}>
                      {countOf(t.id) ?? '…'}
                    </span>
                  </button>
                ))}
              </div>
              <TaskFilters form={form} error={formError} onApply={apply} sort={sort} onSort={setSort} />
              {me && <SavedFilters api={api} me={me.id} current={current} onChoose={chooseSaved} />}
              {TABS.filter((t) => t.id === tab).map((t) => (
                <div key={t.id} id={`panel-${t.id}`} role="tabpanel" aria-labelledby={`tab-${t.id}`}>
                  <TaskList
                    label={t.label}
                    live={lists[t.id]}
                    count={countOf(t.id)}
                    selectedId={selected}
                    onSelect={(task) => setSelected(task.id)}
                  />
                </div>
              ))}
            </section>
            {selected && me && (
              <TaskDetail
                key={selected}
                api={api}
                taskId={selected}
                liveVersion={liveVersion}
                me={me.id}
                onClose={() => setSelected(null)}
              />
            )}
          </div>
        )}
      </main>
    </>
  );
}
