import {
  assertNever,
  DomainError,
  jsonEquals,
  type CommandMetadata,
  type Decider,
  type ProcessInstanceCommand,
  type ProcessInstanceEvent,
  type ProcessInstanceLifecycleData,
  type SourceReference,
} from '@eddy/contracts';

export type ProcessInstanceStatus = 'running' | 'suspended' | 'finished' | 'cancelled';

/** The state of one process instance stream. */
export type ProcessInstanceState =
  | {
      status: 'not-started';
      /** Variables may be reported before the start, in the same engine transaction. */
      variables: Record<string, unknown>;
    }
  | {
      status: ProcessInstanceStatus;
      sourceReference: SourceReference;
      businessKey: string | null;
      startUserId: string | null;
      /** The instance whose call activity started it. */
      parentInstanceId?: string;
      variables: Record<string, unknown>;
      /** A user asked to cancel it; the engine has not reported the cancellation yet. */
      cancellationRequested?: boolean;
    };

export type StartedProcessInstanceState = Exclude<ProcessInstanceState, { status: 'not-started' }>;

/** Codes with which the process instance decider refuses commands. */
export const ProcessInstanceErrorCodes = {
  PROCESS_INSTANCE_NOT_FOUND: 'PROCESS_INSTANCE_NOT_FOUND',
  PROCESS_INSTANCE_CLOSED: 'PROCESS_INSTANCE_CLOSED',
  PROCESS_INSTANCE_EXISTS: 'PROCESS_INSTANCE_EXISTS',
} as const;

const label = (ref: SourceReference): string => `process instance ${ref.applicationName}/${ref.instanceId}`;

function runningOrSuspended(state: ProcessInstanceState, ref: SourceReference): StartedProcessInstanceState {
  if (state.status === 'not-started') {
    throw new DomainError(
      ProcessInstanceErrorCodes.PROCESS_INSTANCE_NOT_FOUND,
      `${label(ref)} does not exist`,
      'data.sourceReference.instanceId',
    );
  }
  if (state.status === 'finished' || state.status === 'cancelled') {
    throw new DomainError(
      ProcessInstanceErrorCodes.PROCESS_INSTANCE_CLOSED,
      `${label(ref)} is ${state.status}`,
      'data.sourceReference.instanceId',
    );
  }
  return state;
}

function eventData(data: ProcessInstanceLifecycleData, state: StartedProcessInstanceState, time: string) {
  return { sourceReference: data.sourceReference, businessKey: data.businessKey ?? state.businessKey, time };
}

function decide(
  command: ProcessInstanceCommand,
  state: ProcessInstanceState,
  metadata: CommandMetadata,
): ProcessInstanceEvent[] {
  const time = metadata.timestamp;
  switch (command.type) {
    case 'StartProcessInstance': {
      const { sourceReference } = command.data;
      const parent = command.data.parentInstanceId;
      const started = {
        sourceReference,
        businessKey: command.data.businessKey ?? null,
        startUserId: command.data.startUserId ?? null,
        ...(parent ? { parentInstanceId: parent } : {}),
      };
      if (state.status === 'not-started')
        return [{ type: 'ProcessInstanceStarted', data: { ...started, time } }];
      const known = {
        sourceReference: state.sourceReference,
        businessKey: state.businessKey,
        startUserId: state.startUserId,
        ...(state.parentInstanceId ? { parentInstanceId: state.parentInstanceId } : {}),
      };
      if (jsonEquals(started, known)) return [];
      throw new DomainError(
        ProcessInstanceErrorCodes.PROCESS_INSTANCE_EXISTS,
        `${label(sourceReference)} was already started differently`,
        'data.sourceReference.instanceId',
      );
    }
    case 'FinishProcessInstance': {
      const open = runningOrSuspended(state, command.data.sourceReference);
      return [{ type: 'ProcessInstanceFinished', data: eventData(command.data, open, time) }];
    }
    case 'CancelProcessInstance': {
      const open = runningOrSuspended(state, command.data.sourceReference);
      const data = { ...eventData(command.data, open, time), reason: command.data.reason ?? null };
      return [{ type: 'ProcessInstanceCancelled', data }];
    }
    case 'SuspendProcessInstance': {
      const open = runningOrSuspended(state, command.data.sourceReference);
      if (open.status === 'suspended') return [];
      const data = { ...eventData(command.data, open, time), reason: command.data.reason ?? null };
      return [{ type: 'ProcessInstanceSuspended', data }];
    }
    case 'ResumeProcessInstance': {
      const open = runningOrSuspended(state, command.data.sourceReference);
      if (open.status === 'running') return [];
      return [{ type: 'ProcessInstanceResumed', data: eventData(command.data, open, time) }];
    }
    case 'RequestProcessInstanceCancellation': {
      const open = runningOrSuspended(state, command.data.sourceReference);
      if (open.cancellationRequested) return [];
      const data = {
        ...eventData(command.data, open, time),
        requestedBy: metadata.userId ?? null,
        reason: command.data.reason ?? null,
      };
      return [{ type: 'ProcessInstanceCancellationRequested', data }];
    }
    case 'ChangeProcessVariables': {
      // A null value removes a variable, so a missing variable and a null one are the same.
      const variables = Object.fromEntries(
        Object.entries(command.data.variables).filter(
          ([name, value]) => !jsonEquals(value ?? null, state.variables[name] ?? null),
        ),
      );
      if (Object.keys(variables).length === 0) return [];
      return [
        {
          type: 'ProcessVariablesChanged',
          data: { sourceReference: command.data.sourceReference, variables },
        },
      ];
    }
    default:
      return assertNever(command, 'process instance command');
  }
}

function withVariables(
  current: Record<string, unknown>,
  changes: Record<string, unknown>,
): Record<string, unknown> {
  const variables = { ...current };
  for (const [name, value] of Object.entries(changes)) {
    if (value === null || value === undefined) delete variables[name];
    else variables[name] = value;
  }
  return variables;
}

function evolve(state: ProcessInstanceState, event: ProcessInstanceEvent): ProcessInstanceState {
  if (event.type === 'ProcessVariablesChanged') {
    return { ...state, variables: withVariables(state.variables, event.data.variables) };
  }
  if (event.type === 'ProcessInstanceStarted') {
    const { sourceReference, businessKey, startUserId, parentInstanceId } = event.data;
    return {
      status: 'running',
      sourceReference,
      businessKey,
      startUserId,
      ...(parentInstanceId ? { parentInstanceId } : {}),
      variables: state.variables,
    };
  }
  if (state.status === 'not-started') return state;
  const businessKey = event.data.businessKey;
  switch (event.type) {
    case 'ProcessInstanceFinished':
      return { ...state, status: 'finished', businessKey };
    case 'ProcessInstanceCancelled':
      return { ...state, status: 'cancelled', businessKey };
    case 'ProcessInstanceSuspended':
      return { ...state, status: 'suspended', businessKey };
    case 'ProcessInstanceResumed':
      return { ...state, status: 'running', businessKey };
    case 'ProcessInstanceCancellationRequested':
      return { ...state, cancellationRequested: true };
    default:
      return assertNever(event, 'process instance event');
  }
}

/**
 * The lifecycle of a process instance as its engine reports it: running and suspended
 * instances may be finished or cancelled; finished and cancelled ones are closed, except for
 * their variables, which engines may still report late.
 */
export const processInstanceDecider: Decider<
  ProcessInstanceCommand,
  ProcessInstanceEvent,
  ProcessInstanceState
> = {
  decide,
  evolve,
  initialState: () => ({ status: 'not-started', variables: {} }),
};
