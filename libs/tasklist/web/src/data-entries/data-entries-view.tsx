import { useEffect, useMemo, useState } from 'preact/hooks';
import { DATA_ENTRY } from '../api/documents';
import type { TasklistApi } from '../api/graphql-client';
import { Pager } from '../components/pager';
import { ProtocolList } from '../components/protocol-list';
import { pageOf } from '../tasks/task-order';
import { PAGE_SIZE } from '../tasks/task-list';
import type { DataEntryDetail, DataEntryRow } from './data-entry.types';
import { useLiveDataEntries } from './use-live-data-entries';

const byName = (a: DataEntryRow, b: DataEntryRow) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** The data entries the user may see, live, and the detail of one of them. */
export function DataEntriesView({ api }: { api: TasklistApi }) {
  const [draft, setDraft] = useState('');
  const [text, setText] = useState('');
  const [page, setPage] = useState(0);
  const [selected, setSelected] = useState<DataEntryRow | null>(null);
  const live = useLiveDataEntries(api, text);
  const sorted = useMemo(() => [...live.entries.values()].sort(byName), [live.entries]);
  const current = pageOf(sorted, page, PAGE_SIZE);
  const liveVersion = selected ? live.entries.get(selected.id)?.version : undefined;

  return (
    <div class={`workspace${selected ? ' with-detail' : ''}`}>
      <section class="lists" aria-labelledby="entries-title">
        <h2 id="entries-title">
          Data entries{' '}
          <span class="count" data-testid="count-entries">
            {live.ready ? live.entries.size : '…'}
          </span>
        </h2>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            setText(draft);
            setPage(0);
          }}
        >
          <label for="entries-text">Text</label>
          <input id="entries-text" value={draft} onInput={(e) => setDraft(e.currentTarget.value)} />
          <button type="submit">Apply filter</button>
        </form>
        {live.error && (
          <p class="error" role="alert">
            {live.error.message}
          </p>
        )}
        {live.ready && sorted.length === 0 && <p class="muted">No data entries here.</p>}
        <ul aria-label="Data entries" class="task-list">
          {current.rows.map((entry) => (
            <li key={entry.id}>
              <button
                type="button"
                class={`task-row${entry.id === selected?.id ? ' selected' : ''}`}
                aria-current={entry.id === selected?.id ? 'true' : undefined}
                onClick={() => setSelected(entry)}
              >
                <span class="task-name">{entry.name}</span>
                <span class="task-meta">
                  {entry.type} · {entry.state.processingType}
                  {entry.state.state && ` · ${entry.state.state}`} · {entry.applicationName}
                </span>
              </button>
            </li>
          ))}
        </ul>
        <Pager label="Data entry pages" page={current.page} pages={current.pages} onPage={setPage} />
      </section>
      {selected && (
        <DataEntryDetailView
          key={selected.id}
          api={api}
          entry={selected}
          liveVersion={liveVersion}
          onClose={() => setSelected(null)}
        />
      )}
    </div>
  );
}

interface DetailProps {
  api: TasklistApi;
  entry: DataEntryRow;
  liveVersion: number | undefined;
  onClose: () => void;
}

function DataEntryDetailView({ api, entry, liveVersion, onClose }: DetailProps) {
  const [detail, setDetail] = useState<DataEntryDetail | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    api
      .request<{ dataEntry: DataEntryDetail | null }>(DATA_ENTRY, {
        entryType: entry.entryType,
        entryId: entry.entryId,
      })
      .then(({ dataEntry }) => current && setDetail(dataEntry))
      .catch((e: Error) => current && setError(e.message));
    return () => {
      current = false;
    };
  }, [api, entry.entryType, entry.entryId, liveVersion]);

  return (
    <section class="task-detail" aria-labelledby="entry-title">
      <div class="detail-head">
        <h2 id="entry-title">{detail?.name ?? entry.name}</h2>
        <button type="button" class="secondary" onClick={onClose}>
          Close data entry
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {detail === null && <p class="muted">This data entry is no longer there for you.</p>}
      {detail === undefined && !error && <p class="muted">Loading…</p>}
      {detail && (
        <>
          {detail.description && <p class="description">{detail.description}</p>}
          <dl class="facts">
            <dt>Type</dt>
            <dd>
              {detail.type} ({detail.entryType} {detail.entryId})
            </dd>
            <dt>Application</dt>
            <dd>{detail.applicationName}</dd>
            <dt>State</dt>
            <dd data-testid="entry-state">
              {detail.state.processingType}
              {detail.state.state && ` · ${detail.state.state}`}
            </dd>
          </dl>
          <h3>Payload</h3>
          <pre class="payload">{JSON.stringify(detail.payload, null, 2)}</pre>
          <h3>Protocol</h3>
          <ProtocolList name={detail.name} protocol={detail.protocol} />
          <h3>Tasks</h3>
          {detail.tasks.length === 0 && <p class="muted">None that you may see.</p>}
          <ul>
            {detail.tasks.map((t) => (
              <li key={t.id}>
                {t.name}
                {t.processName && ` (${t.processName})`} ·{' '}
                {t.assignee ? `assigned to ${t.assignee}` : 'unassigned'}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
