import type { EventStore } from './event-store.port';

/**
 * A durable position in an event store's global log (of the engine client, later the relay and
 * durable projections), with the identity of the store it was taken on.
 */
export interface Checkpoint {
  /** Every event at or below it has been dealt with. */
  position: number;
  /** {@link EventStore.identity} of the store the position belongs to; null for a checkpoint kept before identities. */
  storeIdentity: string | null;
}

/**
 * What to do with a checkpoint that does not belong to the store (`EDDY_CHECKPOINT_RESET`): go on from
 * the store's head (`head`: what the store holds now counts as dealt with) or from its first event
 * (`start`: everything in the store is dealt with again). Applies only to a checkpoint that does not fit.
 */
export type CheckpointReset = 'head' | 'start';

/** The values of {@link CheckpointReset}. */
export const CHECKPOINT_RESETS: readonly CheckpointReset[] = ['head', 'start'];

/**
 * A checkpoint was taken on another store, or lies beyond the store's head (an emptied store, or an older
 * back-up put back): going on from it would skip events or wait for positions that never come.
 */
export class CheckpointMismatchError extends Error {
  constructor(
    readonly checkpointName: string,
    readonly checkpoint: Checkpoint,
    readonly storeIdentity: string,
    readonly headPosition: number,
  ) {
    const why =
      checkpoint.storeIdentity !== null && checkpoint.storeIdentity !== storeIdentity
        ? `was taken on event store ${checkpoint.storeIdentity}, but this event store is ${storeIdentity} (head position ${headPosition})`
        : `lies beyond the head position ${headPosition} of event store ${storeIdentity}`;
    super(
      `CHECKPOINT-001 ${checkpointName}: the checkpoint at position ${checkpoint.position} ${why}. ` +
        'The event store was emptied, replaced or restored from an older back-up. Set EDDY_CHECKPOINT_RESET=head ' +
        `to go on from this store's head (${headPosition}) or EDDY_CHECKPOINT_RESET=start to deal with its events ` +
        'from the first again, start once, then remove the setting (see docs/operations.md, "Checkpoints")',
    );
    this.name = 'CheckpointMismatchError';
  }
}

/** What {@link checkCheckpoint} decided. */
export interface CheckedCheckpoint {
  /** Go on after this position. */
  position: number;
  /** The checkpoint to store now: the position stamped with the store's identity (unchanged when it fitted). */
  checkpoint: Checkpoint;
  /** Whether the stored checkpoint did not fit and `reset` replaced it. */
  reset: boolean;
}

/**
 * Checks a stored checkpoint against the store before a subscriber goes on from it: it must carry the
 * store's identity (a checkpoint without one is adopted if it fits) and lie at or below the head.
 * Otherwise it throws {@link CheckpointMismatchError}, unless `reset` says where to go on from.
 */
export async function checkCheckpoint(
  store: EventStore,
  checkpointName: string,
  stored: Checkpoint | undefined,
  reset: CheckpointReset | undefined,
): Promise<CheckedCheckpoint> {
  const [storeIdentity, headPosition] = await Promise.all([store.identity(), store.headPosition()]);
  const checkpoint = stored ?? { position: 0, storeIdentity: null };
  const fits =
    (checkpoint.storeIdentity === null || checkpoint.storeIdentity === storeIdentity) &&
    checkpoint.position <= headPosition;
  if (fits) {
    return { position: checkpoint.position, checkpoint: { ...checkpoint, storeIdentity }, reset: false };
  }
  if (reset === undefined)
    throw new CheckpointMismatchError(checkpointName, checkpoint, storeIdentity, headPosition);
  const position = reset === 'head' ? headPosition : 0;
  return { position, checkpoint: { position, storeIdentity }, reset: true };
}
