import { createHash } from 'node:crypto';

/**
 * A UUID (laid out as version 8, custom) derived from `parts`: the same parts give the same id, so
 * a write that is made again carries the ids of the first and stores recognise it.
 */
export function deterministicUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
