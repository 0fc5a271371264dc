/**
 * Joins the parts of a composite id (a process instance's stream, a data entry's identity) so that distinct
 * parts never give the same id: inside a part, `%` becomes `%25` and the separator its percent-encoding
 * (`/` is `%2F`, `#` is `%23`). A part with neither character is kept as it is, so the ids of every part the
 * command schemas accept stay exactly as they were before the encoding existed.
 */
export function joinIdParts(separator: '/' | '#', parts: readonly string[]): string {
  const encodedSeparator = separator === '/' ? '%2F' : '%23';
  return parts
    .map((part) => part.replaceAll('%', '%25').replaceAll(separator, encodedSeparator))
    .join(separator);
}
