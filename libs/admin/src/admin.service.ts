import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, type EventStore, type EventStoreStatistics } from '@eddy/eventstore';
import { ProjectionRunner, type ProjectionStatus, type VerifyResult } from '@eddy/projections';

/**
 * What platform admins do with the projections: watch them, replay one into a fresh copy, verify a
 * view against a rebuild, and read the event store's statistics. An unknown projection name is an
 * `UnknownProjectionError` (the controller answers 404).
 */
@Injectable()
export class AdminService {
  constructor(
    @Inject(ProjectionRunner) private readonly runner: ProjectionRunner,
    @Inject(EVENT_STORE) private readonly events: EventStore,
  ) {}

  projections(): Promise<ProjectionStatus[]> {
    return this.runner.statuses();
  }

  projection(name: string): Promise<ProjectionStatus> {
    return this.runner.status(name);
  }

  /** Starts a replay and returns its id at once (or the id of the replay already running). */
  async replay(name: string): Promise<{ replayId: string }> {
    return { replayId: this.runner.replay(name) };
  }

  verify(name: string): Promise<VerifyResult> {
    return this.runner.verify(name);
  }

  eventStore(): Promise<EventStoreStatistics> {
    return this.events.statistics();
  }
}
