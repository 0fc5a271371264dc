import { Inject, Injectable, Optional } from '@nestjs/common';
import { EVENT_STORE, type EventStore, type EventStoreStatistics } from '@eddy/eventstore';
import {
  FollowedViewRebuilder,
  ProjectionRunner,
  type ProjectionStatus,
  type VerifyResult,
} from '@eddy/projections';

/**
 * The process neither runs the projections nor reads views another process projects (no view store
 * here): the admin API answers 409.
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
 * `UnknownProjectionError` (the controller answers 404). Where another process projects the views
 * (the distributed layout), this process rebuilds and switches them itself from the event store
 * (`FollowedViewRebuilder`).
 */
@Injectable()
export class AdminService {
  constructor(
    @Inject(EVENT_STORE) private readonly events: EventStore,
    @Optional() @Inject(ProjectionRunner) private readonly optionalRunner: ProjectionRunner | null = null,
    @Optional()
    @Inject(FollowedViewRebuilder)
    private readonly rebuilder: FollowedViewRebuilder | null = null,
  ) {}

  private get runner(): Pick<ProjectionRunner, 'statuses' | 'status' | 'replay' | 'verify'> {
    const runner = this.optionalRunner ?? this.rebuilder;
    if (!runner) throw new ProjectionsNotRunHereError();
    return runner;
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
