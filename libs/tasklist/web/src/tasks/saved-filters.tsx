import { useEffect, useState } from 'preact/hooks';
import { DELETE_FILTER, SAVE_FILTER, SAVED_FILTERS } from '../api/documents';
import type { TasklistApi } from '../api/graphql-client';
import type { SavedFilter, TaskFilter, TaskSort } from './task.types';
import { ActionStatusView, useAction } from './use-action';

interface Props {
  api: TasklistApi;
  me: string;
  /** The filter and sort the lists show now (without a tab's own conditions): what "Save" saves. */
  current: { filter: TaskFilter; sort: TaskSort | null };
  onChoose: (saved: SavedFilter) => void;
}

/**
 * The user's saved filters and those shared with their groups: choosing one shows it in every tab;
 * the current filter and sort can be saved under a name; the user's own can be deleted.
 */
export function SavedFilters({ api, me, current, onChoose }: Props) {
  const [filters, setFilters] = useState<SavedFilter[] | null>(null);
  const [chosen, setChosen] = useState('');
  const [name, setName] = useState('');
  const action = useAction();

  const load = () =>
    api.request<{ savedFilters: SavedFilter[] }>(SAVED_FILTERS).then((r) => setFilters(r.savedFilters));
  useEffect(() => {
    void action.run('Reading saved filters', load);
  }, [api]);

  const choose = (id: string) => {
    setChosen(id);
    const saved = filters?.find((f) => f.id === id);
    if (saved) onChoose(saved);
  };
  const save = async () => {
    const trimmed = name.trim();
    const saved = await action.run(
      'Save filter',
      async () => {
        const r = await api.request<{ saveFilter: SavedFilter }>(SAVE_FILTER, {
          name: trimmed,
          filter: current.filter,
          sort: current.sort ? [current.sort] : [],
        });
        await load();
        return r.saveFilter;
      },
      `Saved as “${trimmed}”.`,
    );
    if (saved) {
      setChosen(saved.id);
      setName('');
    }
  };
  const remove = async (saved: SavedFilter) => {
    await action.run(
      'Delete filter',
      async () => {
        await api.request(DELETE_FILTER, { id: saved.id });
        await load();
      },
      `Deleted “${saved.name}”.`,
    );
    setChosen('');
  };

  const selected = filters?.find((f) => f.id === chosen);
  return (
    <section class="saved-filters" aria-label="Saved filters">
      <div class="field">
        <label for="saved-filter">Saved filter</label>
        <select id="saved-filter" value={chosen} onChange={(e) => choose(e.currentTarget.value)}>
          <option value="">
            {filters === null ? 'Loading…' : filters.length === 0 ? 'None saved' : 'Choose…'}
          </option>
          {filters?.map((f) => (
            <option key={f.id} value={f.id}>
              {f.owner === me ? f.name : `${f.name} (shared by ${f.owner})`}
            </option>
          ))}
        </select>
        {selected && selected.owner === me && (
          <button
            type="button"
            class="secondary"
            disabled={action.busy}
            onClick={() => void remove(selected)}
          >
            Delete saved filter
          </button>
        )}
      </div>
      <form
        class="field"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label for="saved-filter-name">Save the current filter as</label>
        <input
          id="saved-filter-name"
          value={name}
          maxLength={200}
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <button type="submit" disabled={action.busy || name.trim() === ''}>
          Save filter
        </button>
      </form>
      <ActionStatusView status={action.status} />
    </section>
  );
}
