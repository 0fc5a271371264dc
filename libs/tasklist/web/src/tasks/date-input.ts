/** A moment as a `datetime-local` input holds it: the reader's local time to the minute; '' for none. */
export function toLocalInput(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

/**
 * What a `datetime-local` input holds, as the API takes it: an ISO instant in UTC, null for an
 * empty input (a removed date). Anything else names the field.
 */
export function fromLocalInput(value: string, field: string): string | null {
  if (value.trim() === '') return null;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) {
    throw new Error(`${field}: choose a date and a time`);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`${field}: not a date`);
  return date.toISOString();
}
