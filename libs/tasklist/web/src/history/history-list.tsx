import { useEffect, useState } from 'preact/hooks';
import { formatDateTime } from '../format';
import { describeEntry } from './history-entry';
import type { HistoryEntry, HistoryPage } from './history.types';

interface Props {
  /** The subject's name, for the list's accessible name ("History of Review invoice"). */
  name: string;
  page: HistoryPage;
  /** Reads the changes after a cursor; without it the list shows only `page`. */
  loadMore?: (after: string) => Promise<HistoryPage>;
}

/** Every change of a task, oldest first: when, who (or the engine), what changed. */
export function HistoryList({ name, page, loadMore }: Props) {
  const [older, setOlder] = useState<{ entries: HistoryEntry[]; next: HistoryPage['pageInfo'] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  // A newer first page (a live change) starts the list again.
  useEffect(() => setOlder(null), [page]);

  const entries = older ? [...page.nodes, ...older.entries] : page.nodes;
  const next = older?.next ?? page.pageInfo;
  const more = async () => {
    if (!loadMore || !next.endCursor) return;
    try {
      const loaded = await loadMore(next.endCursor);
      setOlder({ entries: [...(older?.entries ?? []), ...loaded.nodes], next: loaded.pageInfo });
      setError(null);
    } catch (e) {
      setError(`The history could not be read: ${(e as Error).message}`);
    }
  };

  return (
    <>
      <ol class="history" aria-label={`History of ${name}`}>
        {entries.map((entry) => {
          const { who, what, changes } = describeEntry(entry);
          return (
            <li key={entry.revision}>
              <time dateTime={entry.time}>{formatDateTime(entry.time)}</time> · <strong>{who}</strong> {what}
              {changes.length > 0 && <span class="muted"> ({changes.join('; ')})</span>}
            </li>
          );
        })}
      </ol>
      {next.hasNextPage && loadMore && (
        <button type="button" class="secondary" onClick={() => void more()}>
          Show more changes ({entries.length} of {page.totalCount})
        </button>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}
