import type { FilterOperator, TaskFilter } from './task.types';

/** The filter form's fields as the inputs hold them (strings, dates as `yyyy-mm-dd`). */
export interface FilterForm {
  search: string;
  text: string;
  processDefinitionKey: string;
  priorityMin: string;
  priorityMax: string;
  dueAfter: string;
  dueBefore: string;
  followUpAfter: string;
  followUpBefore: string;
  includeDeferred: boolean;
  payloadPath: string;
  payloadOp: FilterOperator;
  payloadValue: string;
}

export const EMPTY_FILTER_FORM: FilterForm = {
  search: '',
  text: '',
  processDefinitionKey: '',
  priorityMin: '',
  priorityMax: '',
  dueAfter: '',
  dueBefore: '',
  followUpAfter: '',
  followUpBefore: '',
  includeDeferred: false,
  payloadPath: '',
  payloadOp: 'EQ',
  payloadValue: '',
};

/** A field of the filter form that does not hold a usable value, named for the page to show. */
export class FilterFormError extends Error {
  constructor(
    readonly field: keyof FilterForm,
    message: string,
  ) {
    super(message);
  }
}

const integer = (form: FilterForm, field: 'priorityMin' | 'priorityMax'): number | undefined => {
  const raw = form[field].trim();
  if (raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw new FilterFormError(field, `${field} must be a whole number`);
  return Number(raw);
};

/** A day of the date input as the start of that day in UTC, or `endOfDay` for "before". */
const day = (form: FilterForm, field: keyof FilterForm, endOfDay: boolean): string | undefined => {
  const raw = String(form[field]).trim();
  if (raw === '') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw) || Number.isNaN(Date.parse(raw))) {
    throw new FilterFormError(field, `${field} must be a date (yyyy-mm-dd)`);
  }
  return `${raw}T${endOfDay ? '23:59:59.999' : '00:00:00.000'}Z`;
};

/** A payload value: JSON where it parses (numbers, true, lists), else the text itself. */
const payloadValue = (raw: string): unknown => {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
};

/**
 * The contract's `TaskFilter` for the form's values, on top of a tab's own conditions; throws
 * {@link FilterFormError} naming the first field that does not hold a usable value.
 */
export function taskFilterOf(form: FilterForm, tab: TaskFilter): TaskFilter {
  const filter: TaskFilter = { ...tab };
  const search = form.search.trim();
  if (search) filter.search = search;
  const text = form.text.trim();
  if (text) filter.text = text;
  const process = form.processDefinitionKey.trim();
  if (process) filter.processDefinitionKey = process;
  const priorityMin = integer(form, 'priorityMin');
  const priorityMax = integer(form, 'priorityMax');
  if (priorityMin !== undefined) filter.priorityMin = priorityMin;
  if (priorityMax !== undefined) filter.priorityMax = priorityMax;
  if (priorityMin !== undefined && priorityMax !== undefined && priorityMin > priorityMax) {
    throw new FilterFormError('priorityMax', 'priorityMax must not be below priorityMin');
  }
  const dates = {
    dueAfter: day(form, 'dueAfter', false),
    dueBefore: day(form, 'dueBefore', true),
    followUpAfter: day(form, 'followUpAfter', false),
    followUpBefore: day(form, 'followUpBefore', true),
  };
  for (const [key, value] of Object.entries(dates)) {
    if (value !== undefined) filter[key as keyof typeof dates] = value;
  }
  if (form.includeDeferred) filter.includeDeferred = true;
  const path = form.payloadPath.trim();
  if (path) {
    if (!/^[^.\s]+(\.[^.\s]+)*$/.test(path)) {
      throw new FilterFormError('payloadPath', 'payloadPath must be dot separated names, e.g. customer.city');
    }
    if (form.payloadValue.trim() === '') {
      throw new FilterFormError('payloadValue', 'payloadValue is needed with a payload path');
    }
    filter.payload = [{ path, op: form.payloadOp, value: payloadValue(form.payloadValue.trim()) }];
  }
  return filter;
}

/**
 * The form that shows a saved filter (the inverse of {@link taskFilterOf} without a tab's conditions):
 * dates as their day, the first payload condition. A saved filter with conditions the form cannot show
 * (several payload conditions, a tab's own) keeps them only in what it was saved with.
 */
export function filterFormOf(filter: TaskFilter): FilterForm {
  const dayOf = (iso: string | undefined) => (iso ? iso.slice(0, 10) : '');
  const condition = filter.payload?.[0];
  return {
    search: filter.search ?? '',
    text: filter.text ?? '',
    processDefinitionKey: filter.processDefinitionKey ?? '',
    priorityMin:
      filter.priorityMin === undefined || filter.priorityMin === null ? '' : String(filter.priorityMin),
    priorityMax:
      filter.priorityMax === undefined || filter.priorityMax === null ? '' : String(filter.priorityMax),
    dueAfter: dayOf(filter.dueAfter),
    dueBefore: dayOf(filter.dueBefore),
    followUpAfter: dayOf(filter.followUpAfter),
    followUpBefore: dayOf(filter.followUpBefore),
    includeDeferred: filter.includeDeferred === true,
    payloadPath: condition?.path ?? '',
    payloadOp: condition?.op ?? 'EQ',
    payloadValue:
      condition === undefined
        ? ''
        : typeof condition.value === 'string'
          ? condition.value
          : JSON.stringify(condition.value),
  };
}
