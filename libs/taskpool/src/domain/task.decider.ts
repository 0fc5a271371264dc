import {
  assertNever,
  distinct,
  DomainError,
  jsonEquals,
  sameInstant,
  type CommandMetadata,
  type CreateTaskData,
  type Decider,
  type EditTaskData,
  type TaskAttributeChanges,
  type TaskAttributes,
  type TaskCommand,
  type TaskCreated,
  type TaskEditChanges,
  type TaskEvent,
  type UpdateTaskAttributesData,
} from '@eddy/contracts';

/** The state of one task stream. */
export type TaskState =
  | { status: 'not-created' }
  | {
      status: 'open';
      task: TaskAttributes;
      /**
       * A user asked to complete the task and the engine has not reported the completion yet.
       * Cleared when the assignee changes: the pending completion belonged to the previous one.
       */
      toBeCompleted: boolean;
    }
  | { status: 'completed'; task: TaskAttributes }
  | { status: 'deleted'; task: TaskAttributes };

export type OpenTaskState = Extract<TaskState, { status: 'open' }>;

/** Codes with which the task decider refuses commands. */
export const TaskErrorCodes = {
  TASK_EXISTS: 'TASK_EXISTS',
  TASK_NOT_FOUND: 'TASK_NOT_FOUND',
  TASK_CLOSED: 'TASK_CLOSED',
  TASK_NOT_ASSIGNED: 'TASK_NOT_ASSIGNED',
  TASK_NOT_ASSIGNED_TO_USER: 'TASK_NOT_ASSIGNED_TO_USER',
  TASK_ASSIGNED: 'TASK_ASSIGNED',
  DUE_DATE_BEFORE_CREATE_TIME: 'DUE_DATE_BEFORE_CREATE_TIME',
} as const;

function openTask(state: TaskState, id: string): OpenTaskState {
  switch (state.status) {
    case 'open':
      return state;
    case 'not-created':
      throw new DomainError(TaskErrorCodes.TASK_NOT_FOUND, `task ${id} does not exist`, 'data.id');
    case 'completed':
    case 'deleted':
      throw new DomainError(TaskErrorCodes.TASK_CLOSED, `task ${id} is ${state.status}`, 'data.id');
    default:
      return assertNever(state, 'task state');
  }
}

function taskCreated(data: CreateTaskData, metadata: CommandMetadata): TaskCreated {
  return {
    type: 'TaskCreated',
    data: {
      id: data.id,
      name: data.name,
      taskDefinitionKey: data.taskDefinitionKey,
      sourceReference: data.sourceReference,
      description: data.description ?? null,
      formKey: data.formKey ?? null,
      priority: data.priority ?? null,
      createTime: data.createTime ?? metadata.timestamp,
      dueDate: data.dueDate ?? null,
      followUpDate: data.followUpDate ?? null,
      assignee: data.assignee ?? null,
      owner: data.owner ?? null,
      candidateUsers: distinct(data.candidateUsers ?? []),
      candidateGroups: distinct(data.candidateGroups ?? []),
      businessKey: data.businessKey ?? null,
      payload: data.payload ?? {},
      correlations: data.correlations ?? [],
    },
  };
}

/** The attributes of the command that differ from the task's: dates compare as instants. */
function attributeChanges(task: TaskAttributes, data: UpdateTaskAttributesData): TaskAttributeChanges {
  const changes: TaskAttributeChanges = {};
  if (data.name !== undefined && data.name !== task.name) changes.name = data.name;
  if (data.description !== undefined && data.description !== task.description) {
    changes.description = data.description;
  }
  if (data.priority !== undefined && data.priority !== task.priority) changes.priority = data.priority;
  if (data.dueDate !== undefined && !sameInstant(data.dueDate, task.dueDate)) changes.dueDate = data.dueDate;
  if (data.followUpDate !== undefined && !sameInstant(data.followUpDate, task.followUpDate)) {
    changes.followUpDate = data.followUpDate;
  }
  if (data.owner !== undefined && data.owner !== task.owner) changes.owner = data.owner;
  if (data.payload !== undefined && !jsonEquals(data.payload, task.payload)) changes.payload = data.payload;
  if (data.correlations !== undefined && !jsonEquals(data.correlations, task.correlations)) {
    changes.correlations = data.correlations;
  }
  return changes;
}

/** The edits that differ from the task; a due date must not lie before the task was created. */
function editChanges(task: TaskAttributes, data: EditTaskData): TaskEditChanges {
  const changes: TaskEditChanges = {};
  if (data.priority !== undefined && data.priority !== task.priority) changes.priority = data.priority;
  if (data.dueDate !== undefined && !sameInstant(data.dueDate, task.dueDate)) {
    if (data.dueDate !== null && Date.parse(data.dueDate) < Date.parse(task.createTime)) {
      throw new DomainError(
        TaskErrorCodes.DUE_DATE_BEFORE_CREATE_TIME,
        `dueDate ${data.dueDate} lies before the task's create time ${task.createTime}`,
        'data.dueDate',
      );
    }
    changes.dueDate = data.dueDate;
  }
  if (data.followUpDate !== undefined && !sameInstant(data.followUpDate, task.followUpDate)) {
    changes.followUpDate = data.followUpDate;
  }
  return changes;
}

function decide(command: TaskCommand, state: TaskState, metadata: CommandMetadata): TaskEvent[] {
  const id = command.data.id;
  if (command.type === 'CreateTask') {
    if (state.status !== 'not-created') {
      throw new DomainError(TaskErrorCodes.TASK_EXISTS, `task ${id} already exists`, 'data.id');
    }
    return [taskCreated(command.data, metadata)];
  }

  const { task, toBeCompleted } = openTask(state, id);
  switch (command.type) {
    case 'AssignTask': {
      const { assignee } = command.data;
      return assignee === task.assignee ? [] : [{ type: 'TaskAssigned', data: { id, assignee } }];
    }
    case 'UpdateTaskAttributes': {
      const changes = attributeChanges(task, command.data);
      return Object.keys(changes).length === 0
        ? []
        : [{ type: 'TaskAttributesUpdated', data: { id, changes } }];
    }
    case 'AddCandidateUsers': {
      const added = distinct(command.data.users).filter((u) => !task.candidateUsers.includes(u));
      if (added.length === 0) return [];
      const candidateUsers = [...task.candidateUsers, ...added];
      return [{ type: 'TaskCandidateUsersChanged', data: { id, added, removed: [], candidateUsers } }];
    }
    case 'DeleteCandidateUsers': {
      const removed = distinct(command.data.users).filter((u) => task.candidateUsers.includes(u));
      if (removed.length === 0) return [];
      const candidateUsers = task.candidateUsers.filter((u) => !removed.includes(u));
      return [{ type: 'TaskCandidateUsersChanged', data: { id, added: [], removed, candidateUsers } }];
    }
    case 'AddCandidateGroups': {
      const added = distinct(command.data.groups).filter((g) => !task.candidateGroups.includes(g));
      if (added.length === 0) return [];
      const candidateGroups = [...task.candidateGroups, ...added];
      return [{ type: 'TaskCandidateGroupsChanged', data: { id, added, removed: [], candidateGroups } }];
    }
    case 'DeleteCandidateGroups': {
      const removed = distinct(command.data.groups).filter((g) => task.candidateGroups.includes(g));
      if (removed.length === 0) return [];
      const candidateGroups = task.candidateGroups.filter((g) => !removed.includes(g));
      return [{ type: 'TaskCandidateGroupsChanged', data: { id, added: [], removed, candidateGroups } }];
    }
    case 'CompleteTask':
      return [{ type: 'TaskCompleted', data: { id, assignee: command.data.assignee ?? task.assignee } }];
    case 'DeleteTask':
      return [{ type: 'TaskDeleted', data: { id, deleteReason: command.data.deleteReason ?? null } }];
    case 'ClaimTask': {
      const { assignee, exclusive } = command.data;
      if (task.assignee === assignee) return [];
      if (exclusive && task.assignee !== null) {
        throw new DomainError(
          TaskErrorCodes.TASK_ASSIGNED,
          `task ${id} is assigned to someone else`,
          'data.id',
        );
      }
      // Someone else holds the task: the engine client unassigns before it assigns.
      const unclaim: TaskEvent[] =
        task.assignee === null
          ? []
          : [{ type: 'TaskUnclaimed', data: { id, previousAssignee: task.assignee } }];
      return [...unclaim, { type: 'TaskClaimed', data: { id, assignee } }];
    }
    case 'UnclaimTask':
      if (task.assignee === null) {
        throw new DomainError(TaskErrorCodes.TASK_NOT_ASSIGNED, `task ${id} is not assigned`, 'data.id');
      }
      return [{ type: 'TaskUnclaimed', data: { id, previousAssignee: task.assignee } }];
    case 'CompleteTaskInteraction': {
      const { assignee } = command.data;
      if (task.assignee !== assignee) {
        throw new DomainError(
          TaskErrorCodes.TASK_NOT_ASSIGNED_TO_USER,
          `task ${id} is not assigned to ${assignee}`,
          'data.assignee',
        );
      }
      if (toBeCompleted) return [];
      return [{ type: 'TaskToBeCompleted', data: { id, assignee, variables: command.data.variables ?? {} } }];
    }
    case 'DeferTask': {
      const { followUpDate } = command.data;
      return sameInstant(followUpDate, task.followUpDate)
        ? []
        : [{ type: 'TaskDeferred', data: { id, followUpDate } }];
    }
    case 'UndeferTask':
      return task.followUpDate === null ? [] : [{ type: 'TaskUndeferred', data: { id } }];
    case 'DelegateTask': {
      const { assignee } = command.data;
      if (task.assignee === assignee) return [];
      return [{ type: 'TaskDelegated', data: { id, assignee, previousAssignee: task.assignee } }];
    }
    case 'EditTask': {
      const changes = editChanges(task, command.data);
      return Object.keys(changes).length === 0 ? [] : [{ type: 'TaskEdited', data: { id, changes } }];
    }
    case 'AddTaskComment': {
      // Every comment is one event, also when its text repeats an earlier one: a retry of the same
      // command is caught by its command id, not here.
      const { author, text } = command.data;
      return [{ type: 'TaskCommentAdded', data: { id, author, text } }];
    }
    default:
      return assertNever(command, 'task command');
  }
}

function withAssignee(state: OpenTaskState, assignee: string | null): OpenTaskState {
  if (assignee === state.task.assignee) return state;
  return { status: 'open', task: { ...state.task, assignee }, toBeCompleted: false };
}

function evolve(state: TaskState, event: TaskEvent): TaskState {
  if (event.type === 'TaskCreated') return { status: 'open', task: event.data, toBeCompleted: false };
  // Events only ever follow TaskCreated in a stream the decider wrote; anything else is ignored.
  if (state.status !== 'open') return state;
  const { task } = state;
  switch (event.type) {
    case 'TaskAssigned':
      return withAssignee(state, event.data.assignee);
    case 'TaskClaimed':
      return withAssignee(state, event.data.assignee);
    case 'TaskUnclaimed':
      return withAssignee(state, null);
    case 'TaskAttributesUpdated':
      return { ...state, task: { ...task, ...event.data.changes } };
    case 'TaskCandidateUsersChanged':
      return { ...state, task: { ...task, candidateUsers: event.data.candidateUsers } };
    case 'TaskCandidateGroupsChanged':
      return { ...state, task: { ...task, candidateGroups: event.data.candidateGroups } };
    case 'TaskToBeCompleted':
      return { ...state, toBeCompleted: true };
    case 'TaskDeferred':
      return { ...state, task: { ...task, followUpDate: event.data.followUpDate } };
    case 'TaskUndeferred':
      return { ...state, task: { ...task, followUpDate: null } };
    case 'TaskDelegated':
      return withAssignee(state, event.data.assignee);
    case 'TaskEdited':
      return { ...state, task: { ...task, ...event.data.changes } };
    case 'TaskCommentAdded':
      return state;
    case 'TaskCompleted':
      return { status: 'completed', task: { ...task, assignee: event.data.assignee } };
    case 'TaskDeleted':
      return { status: 'deleted', task };
    default:
      return assertNever(event, 'task event');
  }
}

/**
 * The business rules of a task: engine commands report what the engine did, interaction
 * commands record what a user asked for (the engine client carries it to the engine, whose
 * report then comes back as an engine command that changes nothing).
 */
export const taskDecider: Decider<TaskCommand, TaskEvent, TaskState> = {
  decide,
  evolve,
  initialState: () => ({ status: 'not-created' }),
};
