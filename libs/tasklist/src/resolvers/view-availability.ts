import type { ProjectionRunner } from '@eddy/projections';
import { tasklistError } from '../tasklist.errors';

/**
 * A query over a view whose projection has failed would answer from an incomplete view (a short
 * `totalCount`, missing tasks): it answers `UNAVAILABLE` instead, naming the projection and where it
 * stopped. Without a runner (a process that only serves views) there is nothing to check.
 */
export function assertViewComplete(runner: ProjectionRunner | null, projection: string): void {
  const failed = runner?.failures().find((f) => f.name === projection);
  if (failed === undefined) return;
  throw tasklistError(
    'UNAVAILABLE',
    `the ${projection} view is incomplete: its projection failed at position ${failed.failure.position} (${failed.failure.message})`,
    { reason: 'VIEW_UNAVAILABLE', projection },
  );
}
