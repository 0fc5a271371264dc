import { Inject, Injectable, Optional } from '@nestjs/common';
import { EVENT_STORE, type EventStore, type EventStoreStatistics } from '@eddy/eventstore';
import { ProjectionRunner, type ProjectionStatus, type VerifyResult } from '@eddy/projections';

/**
 * The process runs no projections (`EDDY_PROJECTIONS=off`): their status, replay and verify are
 * answered by a process that projects (the admin API answers 409).
 */
export class ProjectionsNotRunHereError extends Error {
  constructor() {
    super(
      'PROJECTION-020 this process runs no projections (EDDY_PROJECTIONS=off): ask a process that projects the views',
    );
    this.name = 'ProjectionsNotRunHereError';
  }
}

/**
 * What platform admins do with the projections: watch them, replay one into a fresh copy, verify a
 * view against a rebuild, and read the event store's statistics. An unknown projection name is an
 * `UnknownProjectionError` (the controller answers 404).
 */
@Injectable()
export class AdminService {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Optional() @Inject(ProjectionRunner) private readonly optionalRunner: ProjectionRunner | null = null,
  ) {}

  private get runner(): ProjectionRunner {
    if (!this.optionalRunner) throw new ProjectionsNotRunHereError();
    return this.optionalRunner;
  }

  async projections(): Promise<ProjectionStatus[]> {
    return this.runner.statuses();
  }

  async projection(name: string): Promise<ProjectionStatus> {
    return this.runner.status(name);
  }

  /** Starts a replay and returns its id at once (or the id of the replay already running). */
  async replay(name: string): Promise<{ replayId: string }> {
    return { replayId: this.runner.replay(name) };
  }

  async verify(name: string): Promise<VerifyResult> {
    return this.runner.verify(name);
  }

  eventStore(): Promise<EventStoreStatistics> {
    return this.events.statistics();
  }
}
