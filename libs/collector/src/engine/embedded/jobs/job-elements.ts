import { EndEvent, IntermediateThrowEvent, ServiceTask } from 'bpmn-elements';

/** Camunda 8's retries of a job whose `zeebe:taskDefinition` names none. */
export const DEFAULT_JOB_RETRIES = 3;

/** What a job-based element's job is made of, as modelled (literals or FEEL, evaluated when the job is created). */
export interface JobElementSpec {
  elementId: string;
  /** `zeebe:taskDefinition type`: literal or FEEL. */
  type: string;
  /** `zeebe:taskDefinition retries`: literal or FEEL; null when not modelled. */
  retries: string | null;
  /** `zeebe:taskHeaders`. */
  customHeaders: Record<string, string>;
  /** The job of an execution listener of this event type (`execution-listeners.ts`). */
  listener?: 'start' | 'end';
}

interface ModdleLike {
  $type?: string;
  [attribute: string]: unknown;
}

/**
 * The job spec of an element from its `zeebe:taskDefinition` and `zeebe:taskHeaders` extensions; null when it
 * has no task definition type.
 */
export function jobElementSpec(
  elementId: string,
  taskDefinition: ModdleLike | undefined,
  taskHeaders: ModdleLike | undefined,
): JobElementSpec | null {
  const type = taskDefinition?.type;
  if (typeof type !== 'string' || type.trim() === '') return null;
  const retries = taskDefinition?.retries;
  const headers = (taskHeaders?.values ?? []) as { key?: string; value?: string }[];
  return {
    elementId,
    type,
    retries: typeof retries === 'string' && retries !== '' ? retries : null,
    customHeaders: Object.fromEntries(
      headers.filter((h) => typeof h.key === 'string').map((h) => [h.key as string, h.value ?? '']),
    ),
  };
}

type Behaviour = (activityDef: { behaviour?: object }, context: unknown) => unknown;

/** Set by the compiler on the events that run with the service behaviour (see {@link extendJobEventTypes}). */
const RUNS_AS_SERVICE = 'eddyRunsAsService';

/** Marks a serialized throw or end event to run with the service behaviour. */
export function runAsService(behaviour: Record<string, unknown>): void {
  behaviour[RUNS_AS_SERVICE] = true;
}

/**
 * Events the compiler marks with {@link runAsService} run with bpmn-engine's service task behaviour, so that
 * the engine's service implementation decides what they do: message throw and end events with a
 * `zeebe:taskDefinition` are jobs in Camunda 8 (they wait for a worker instead of publishing the message at
 * once), and an error end event that nothing catches raises an incident. Called from the compiler's type
 * resolver extension.
 */
export function extendJobEventTypes(typeMapper: Record<string, unknown>): void {
  const serviceTask = ServiceTask as unknown as Behaviour;
  for (const [type, original] of [
    ['bpmn:IntermediateThrowEvent', IntermediateThrowEvent],
    ['bpmn:EndEvent', EndEvent],
  ] as unknown as [string, Behaviour][]) {
    // bpmn-elements calls the behaviour with `new`: a function (not an arrow) whose returned activity is used.
    const jobAware = function (activityDef: Parameters<Behaviour>[0], context: unknown) {
      const marked = (activityDef.behaviour as Record<string, unknown> | undefined)?.[RUNS_AS_SERVICE];
      return marked ? serviceTask(activityDef, context) : original(activityDef, context);
    };
    typeMapper[type] = jobAware;
  }
}
