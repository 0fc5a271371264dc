import { isReservedKey, reservedKeyProblem } from '@eddy/contracts';
import { ViewQueryError } from './view-store.port';

/**
 * Dotted payload paths (`customer.address.city`): how they are checked and which values they reach.
 * Payload conditions and the searched payload fields both name values this way.
 */

const PATH_SEGMENT = /^[A-Za-z0-9_-]+$/;
/** Deepest payload path a condition may name (MongoDB nests documents 100 levels deep; payloads far less). */
export const MAX_PAYLOAD_PATH_DEPTH = 16;

/** The segments of a payload path, or a {@link ViewQueryError} naming `field` when it is not one. */
export function payloadPathSegments(path: unknown, field: string): string[] {
  if (typeof path !== 'string' || path.length === 0) {
    throw new ViewQueryError(field, 'must be a non-empty dot-separated path');
  }
  const segments = path.split('.');
  if (segments.length > MAX_PAYLOAD_PATH_DEPTH) {
    throw new ViewQueryError(field, `has more than ${MAX_PAYLOAD_PATH_DEPTH} levels`);
  }
  if (!segments.every((s) => PATH_SEGMENT.test(s))) {
    throw new ViewQueryError(field, `'${path}' may contain only letters, digits, _ and - between dots`);
  }
  // Payloads never hold these keys (the commands refuse them); read, they would reach Object.prototype.
  const reserved = segments.find(isReservedKey);
  if (reserved !== undefined) throw new ViewQueryError(field, reservedKeyProblem(reserved));
  return segments;
}

/**
 * The values a dotted path reaches, as MongoDB resolves it: through an array, the path goes on in
 * each of its documents; a document without the field contributes `undefined` (missing), so
 * `EQ null` matches it.
 */
export function valuesAt(payload: unknown, segments: readonly string[]): unknown[] {
  let current: unknown[] = [payload];
  for (const segment of segments) {
    const next: unknown[] = [];
    for (const value of current) {
      if (Array.isArray(value)) {
        for (const element of value) {
          if (element !== null && typeof element === 'object' && !Array.isArray(element)) {
            next.push(ownValue(element, segment));
          }
        }
      } else if (value !== null && typeof value === 'object') {
        next.push(ownValue(value, segment));
      } else {
        next.push(undefined);
      }
    }
    current = next;
  }
  return current;
}

/** A payload's own key only: `constructor` or `__proto__` never reach an object's prototype. */
function ownValue(value: object, key: string): unknown {
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}
