/**
 * Timer and message event sub-processes, interrupting or not, and interrupting escalation event
 * sub-processes, as Camunda 8 runs them (`event-sub-process-starts.ts` reads them at deployment).
 *
 * While the scope around an event sub-process (the process, or a sub-process) runs, its timer is armed and its
 * message subscription open. When one fires, the event sub-process is run in that scope; an interrupting one
 * then discards everything else the scope was doing and closes the scope's other triggers, a non-interrupting
 * one leaves the scope as it is and stays armed (a timer cycle for its next repetition). bpmn-engine runs an
 * element once at a time: a non-interrupting event sub-process that fires again while it still runs runs
 * again when it is done. Armed timers are stored in the instance's state and armed again when it is loaded.
 */
import { type Logger } from '@nestjs/common';
import { ISOInterval, getDate } from '@0dep/piso';
import { type EventSubProcessStart } from './dialect-specs';
import { resolveAttribute } from './feel';
import { type ElementApi, type Runtime, type ArmedEventSubProcessTimer } from './instance-state';
import { type MessageSubscriptions } from './message-subscriptions';
import { scopeExecution } from './scope-executions';

type TimerRef = ReturnType<Runtime['timers']['setTimeout']>;

export class EventSubProcessTriggers {
  /** The armed timers in memory, by instance id and start event id. */
  private readonly timerRefs = new Map<string, Map<string, TimerRef>>();

  constructor(
    private readonly subscriptions: MessageSubscriptions,
    private readonly subscriptionOpened: (rt: Runtime, elementId: string) => void,
    private readonly logger: Logger,
  ) {}

  /** A scope started (the process: `scopeId` null): arms the timers and opens the subscriptions of its event sub-processes. */
  scopeStarted(rt: Runtime, scopeId: string | null): void {
    for (const start of this.startsIn(rt, scopeId)) {
      if (start.kind === 'timer') this.armTimer(rt, start, null);
      if (start.kind === 'message') this.subscribe(rt, start);
    }
  }

  /** A scope ended: its event sub-processes can no longer start. */
  scopeEnded(rt: Runtime, scopeId: string): void {
    for (const start of this.startsIn(rt, scopeId)) this.disarm(rt, start);
  }

  /** The instance's engine was loaded from its stored state: arms the stored timers again. */
  restore(rt: Runtime): void {
    const stored = rt.meta.eventSubProcessTimers ?? {};
    const starts = rt.definition.compiled.eventSubProcessStarts;
    for (const [startEventId, armed] of Object.entries(stored)) {
      const start = starts.get(startEventId);
      if (start && !this.timerRefs.get(rt.meta.instance.id)?.has(startEventId))
        this.setTimer(rt, start, armed);
    }
  }

  /** Whether the element is the message start event of an event sub-process. */
  isMessageStart(rt: Runtime, elementId: string): boolean {
    return rt.definition.compiled.eventSubProcessStarts.get(elementId)?.kind === 'message';
  }

  /** A message for the start event of an event sub-process arrived (inside a step): runs it; false when its scope is gone. */
  messageArrived(rt: Runtime, startEventId: string): boolean {
    const start = rt.definition.compiled.eventSubProcessStarts.get(startEventId)!;
    return this.run(rt, start);
  }

  /**
   * bpmn-engine entered an element: the start event of an interrupting event sub-process interrupts the scope
   * around it (for escalations, which bpmn-engine starts itself, too).
   */
  elementEntered(rt: Runtime, api: ElementApi): void {
    const start = rt.definition.compiled.eventSubProcessStarts.get(api.id);
    if (start?.interrupting) this.interrupt(rt, start);
  }

  /** An element left: an event sub-process that fired again while it ran runs once more. */
  elementLeft(rt: Runtime, elementId: string): void {
    const queue = rt.meta.eventSubProcessQueue;
    const index = queue?.indexOf(elementId) ?? -1;
    if (!queue || index < 0) return;
    queue.splice(index, 1);
    rt.metaChanged = true;
    const start = [...rt.definition.compiled.eventSubProcessStarts.values()].find(
      (s) => s.eventSubProcessId === elementId,
    );
    if (start) this.run(rt, start);
  }

  private startsIn(rt: Runtime, scopeId: string | null): EventSubProcessStart[] {
    return [...rt.definition.compiled.eventSubProcessStarts.values()].filter((s) => s.scopeId === scopeId);
  }

  private subscribe(rt: Runtime, start: EventSubProcessStart): void {
    if (rt.meta.subscriptions[start.startEventId]) return;
    // Kept by the start event's id (not an execution's): it lives as long as its scope runs.
    if (this.subscriptions.subscribe(rt, start.startEventId, start.startEventId)) {
      this.subscriptionOpened(rt, start.startEventId);
    }
  }

  /** Evaluates and arms the timer of a timer event sub-process; `previous` is the cycle's repetition that fired. */
  private armTimer(
    rt: Runtime,
    start: EventSubProcessStart,
    previous: ArmedEventSubProcessTimer | null,
  ): void {
    let armed: ArmedEventSubProcessTimer;
    try {
      armed = previous ? nextRepetition(previous) : evaluateTimer(start, rt.meta.variables);
    } catch (error) {
      // A timer that cannot be evaluated is an incident, as in Camunda 8.
      rt.incident ??= new Error(`${start.startEventId}: ${(error as Error).message}`);
      return;
    }
    rt.meta.eventSubProcessTimers = { ...rt.meta.eventSubProcessTimers, [start.startEventId]: armed };
    rt.metaChanged = true;
    this.setTimer(rt, start, armed);
  }

  private setTimer(rt: Runtime, start: EventSubProcessStart, armed: ArmedEventSubProcessTimer): void {
    const instanceId = rt.meta.instance.id;
    let refs = this.timerRefs.get(instanceId);
    if (!refs) this.timerRefs.set(instanceId, (refs = new Map()));
    const ref = rt.timers.setTimeout(() => {
      refs.delete(start.startEventId);
      if (rt.ended) return;
      delete rt.meta.eventSubProcessTimers?.[start.startEventId];
      rt.metaChanged = true;
      const again = !start.interrupting && armed.repeat !== null && armed.repeat !== 1;
      if (again) this.armTimer(rt, start, armed);
      if (!this.run(rt, start))
        this.logger.warn(
          `ENGINE-014 instance ${instanceId} ${start.startEventId}: the timer fired after its scope ended`,
        );
    }, armed.dueAt - Date.now());
    refs.set(start.startEventId, ref);
  }

  private disarm(rt: Runtime, start: EventSubProcessStart): void {
    const refs = this.timerRefs.get(rt.meta.instance.id);
    const ref = refs?.get(start.startEventId);
    if (ref) {
      rt.timers.clearTimeout(ref);
      refs!.delete(start.startEventId);
    }
    if (rt.meta.eventSubProcessTimers?.[start.startEventId]) {
      delete rt.meta.eventSubProcessTimers[start.startEventId];
      rt.metaChanged = true;
    }
    if (rt.meta.subscriptions[start.startEventId]) this.subscriptions.unsubscribe(rt, start.startEventId);
  }

  /** Runs the event sub-process in its scope; false when the scope does not run. */
  private run(rt: Runtime, start: EventSubProcessStart): boolean {
    const scope = scopeExecution(rt, start.scopeId);
    const activity = scope?.getActivityById(start.eventSubProcessId);
    if (!activity) return false;
    rt.engineMoved = true;
    if (activity.isRunning) {
      if (!start.interrupting) {
        rt.meta.eventSubProcessQueue = [...(rt.meta.eventSubProcessQueue ?? []), start.eventSubProcessId];
        rt.metaChanged = true;
      }
      return true;
    }
    activity.run();
    return true;
  }

  /** Discards everything else the scope runs and closes the scope's other triggers. */
  private interrupt(rt: Runtime, start: EventSubProcessStart): void {
    for (const other of this.startsIn(rt, start.scopeId)) this.disarm(rt, other);
    const scope = scopeExecution(rt, start.scopeId);
    for (const api of scope?.getPostponed() ?? []) if (api.id !== start.eventSubProcessId) api.discard();
  }
}

function evaluateTimer(
  start: EventSubProcessStart,
  variables: Record<string, unknown>,
): ArmedEventSubProcessTimer {
  const timer = start.timer!;
  const raw = timer.timeCycle ?? timer.timeDuration ?? timer.timeDate;
  const value = String(resolveAttribute(raw, variables) ?? '');
  const now = new Date();
  if (timer.timeDate && !timer.timeCycle && !timer.timeDuration) {
    const at = getDate(value);
    if (Number.isNaN(at.getTime())) throw new Error(`timeDate "${value}" is not a date-time`);
    return { dueAt: at.getTime(), value, repeat: null };
  }
  const parsed = new ISOInterval(value).parse();
  const dueAt = parsed.getExpireAt(now, now).getTime();
  if (Number.isNaN(dueAt)) throw new Error(`timer "${value}" is not an ISO-8601 duration or interval`);
  return { dueAt, value, repeat: timer.timeCycle ? (parsed.repeat ?? -1) : null };
}

function nextRepetition(previous: ArmedEventSubProcessTimer): ArmedEventSubProcessTimer {
  const now = new Date();
  const dueAt = new ISOInterval(previous.value).parse().getExpireAt(now, now).getTime();
  const repeat = previous.repeat === -1 ? -1 : (previous.repeat ?? 1) - 1;
  return { dueAt, value: previous.value, repeat };
}
