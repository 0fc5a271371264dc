import { useEffect, useState } from 'preact/hooks';
import type { FilterOperator, TaskSort, TaskSortField } from './task.types';
import { FilterFormError, type FilterForm } from './task-filter';

const OPERATORS: FilterOperator[] = ['EQ', 'NE', 'LT', 'LTE', 'GT', 'GTE', 'LIKE'];
const SORT_FIELDS: { field: TaskSortField; label: string }[] = [
  { field: 'CREATE_TIME', label: 'Created' },
  { field: 'DUE_DATE', label: 'Due date' },
  { field: 'FOLLOW_UP_DATE', label: 'Follow-up date' },
  { field: 'PRIORITY', label: 'Priority' },
  { field: 'NAME', label: 'Name' },
];

/** The sort select's value for "by relevance": no sort at all, which a search ranks by. */
const RELEVANCE = 'RELEVANCE';

interface Props {
  form: FilterForm;
  error: FilterFormError | null;
  onApply: (form: FilterForm) => void;
  /** null: by relevance (offered while a search is applied). */
  sort: TaskSort | null;
  onSort: (sort: TaskSort | null) => void;
}

/** The search, the filters of the contract's `TaskFilter` and its sorts, applied to every tab. */
export function TaskFilters({ form, error, onApply, sort, onSort }: Props) {
  const [draft, setDraft] = useState<FilterForm>(form);
  // A saved filter chosen elsewhere replaces what the inputs hold.
  useEffect(() => setDraft(form), [form]);
  const searching = form.search.trim() !== '';
  const field = (name: keyof FilterForm, label: string, type: 'text' | 'number' | 'date' = 'text') => (
    <div class="field">
      <label for={`filter-${name}`}>{label}</label>
      <input
        id={`filter-${name}`}
        type={type as 'text'} // preact's types split inputs by type; all three take a string value
        value={String(draft[name])}
        aria-invalid={error?.field === name}
        onInput={(e) => setDraft({ ...draft, [name]: e.currentTarget.value })}
      />
    </div>
  );
  return (
    <section class="filters" aria-label="Filters and sort">
      <form
        role="search"
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          onApply(draft);
        }}
      >
        <label for="filter-search">Search</label>
        <input
          id="filter-search"
          type="search"
          value={draft.search}
          aria-invalid={error?.field === 'search'}
          onInput={(e) => setDraft({ ...draft, search: e.currentTarget.value })}
        />
        <button type="submit">Search</button>
      </form>
      <div class="sort">
        <label for="sort-field">Sort by</label>
        <select
          id="sort-field"
          value={sort?.field ?? RELEVANCE}
          onChange={(e) => {
            const field = e.currentTarget.value;
            onSort(
              field === RELEVANCE
                ? null
                : { direction: sort?.direction ?? 'ASC', field: field as TaskSortField },
            );
          }}
        >
          {(searching || sort === null) && <option value={RELEVANCE}>Relevance</option>}
          {SORT_FIELDS.map((s) => (
            <option key={s.field} value={s.field}>
              {s.label}
            </option>
          ))}
        </select>
        <label for="sort-direction">Order</label>
        <select
          id="sort-direction"
          value={sort?.direction ?? 'DESC'}
          disabled={sort === null}
          onChange={(e) =>
            sort && onSort({ ...sort, direction: e.currentTarget.value as TaskSort['direction'] })
          }
        >
          <option value="ASC">Ascending</option>
          <option value="DESC">Descending</option>
        </select>
      </div>
      <details>
        <summary>Filters</summary>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            onApply(draft);
          }}
        >
          <div class="filter-grid">
            {field('text', 'Text')}
            {field('processDefinitionKey', 'Process key')}
            {field('priorityMin', 'Priority from', 'number')}
            {field('priorityMax', 'Priority to', 'number')}
            {field('dueAfter', 'Due from', 'date')}
            {field('dueBefore', 'Due until', 'date')}
            {field('followUpAfter', 'Follow-up from', 'date')}
            {field('followUpBefore', 'Follow-up until', 'date')}
            {field('payloadPath', 'Payload path')}
            <div class="field">
              <label for="filter-payloadOp">Payload condition</label>
              <select
                id="filter-payloadOp"
                value={draft.payloadOp}
                onChange={(e) => setDraft({ ...draft, payloadOp: e.currentTarget.value as FilterOperator })}
              >
                {OPERATORS.map((op) => (
                  <option key={op} value={op}>
                    {op}
                  </option>
                ))}
              </select>
            </div>
            {field('payloadValue', 'Payload value')}
            <div class="field checkbox">
              <input
                id="filter-includeDeferred"
                type="checkbox"
                checked={draft.includeDeferred}
                onChange={(e) => setDraft({ ...draft, includeDeferred: e.currentTarget.checked })}
              />
              <label for="filter-includeDeferred">Include deferred tasks</label>
            </div>
          </div>
          {error && (
            <p class="error" role="alert">
              {error.message}
            </p>
          )}
          <button type="submit">Apply filters</button>
        </form>
      </details>
    </section>
  );
}
