import { z } from 'zod';
import {
  dataEntryRefSchema,
  dateTimeSchema,
  idSchema,
  nameSchema,
  payloadSchema,
  principalSchema,
  sourceReferenceSchema,
  textSchema,
} from './common.schema';
import { commentTextSchema } from './comment.validation';

const principals = z.array(principalSchema).max(1_000, 'must hold at most 1000 names');
const priority = z.number().int('must be an integer').min(0).max(1_000_000);
const correlations = z.array(dataEntryRefSchema).max(1_000, 'must hold at most 1000 references');

/** Engine and generic-source commands: the engine reports what happened to its task. */
export const createTaskSchema = z.strictObject({
  id: idSchema,
  name: nameSchema,
  taskDefinitionKey: idSchema,
  sourceReference: sourceReferenceSchema,
  description: textSchema.optional(),
  formKey: z.string().max(1_000).optional(),
  priority: priority.optional(),
  createTime: dateTimeSchema.optional(),
  dueDate: dateTimeSchema.optional(),
  followUpDate: dateTimeSchema.optional(),
  assignee: principalSchema.optional(),
  owner: principalSchema.optional(),
  candidateUsers: principals.optional(),
  candidateGroups: principals.optional(),
  businessKey: z.string().max(1_000).optional(),
  payload: payloadSchema.optional(),
  correlations: correlations.optional(),
});

export const assignTaskSchema = z.strictObject({ id: idSchema, assignee: principalSchema.nullable() });

export const updateTaskAttributesSchema = z.strictObject({
  id: idSchema,
  name: nameSchema.optional(),
  description: textSchema.nullable().optional(),
  priority: priority.nullable().optional(),
  dueDate: dateTimeSchema.nullable().optional(),
  followUpDate: dateTimeSchema.nullable().optional(),
  owner: principalSchema.nullable().optional(),
  payload: payloadSchema.optional(),
  correlations: correlations.optional(),
});

export const candidateUsersSchema = z.strictObject({
  id: idSchema,
  users: principals.min(1, 'must not be empty'),
});
export const candidateGroupsSchema = z.strictObject({
  id: idSchema,
  groups: principals.min(1, 'must not be empty'),
});
export const completeTaskSchema = z.strictObject({ id: idSchema, assignee: principalSchema.optional() });
export const deleteTaskSchema = z.strictObject({ id: idSchema, deleteReason: textSchema.optional() });

/** Interaction commands: what a user did in the tasklist; the engine is told afterwards. */
export const claimTaskSchema = z.strictObject({
  id: idSchema,
  assignee: principalSchema,
  /**
   * Refuse the claim (`TASK_ASSIGNED`) when someone else holds the task, instead of taking it over.
   * The tasklist claims this way, so that the rule holds however many API instances decide at once.
   */
  exclusive: z.boolean().optional(),
});
export const unclaimTaskSchema = z.strictObject({ id: idSchema });
export const completeTaskInteractionSchema = z.strictObject({
  id: idSchema,
  assignee: principalSchema,
  variables: payloadSchema.optional(),
});
export const deferTaskSchema = z.strictObject({ id: idSchema, followUpDate: dateTimeSchema });
export const undeferTaskSchema = z.strictObject({ id: idSchema });
/** Hand the task to another user: `assignee` is a user id. */
export const delegateTaskSchema = z.strictObject({ id: idSchema, assignee: principalSchema });
/**
 * Change the engine attributes a user may edit: priority in the engine's range (0..100, as Camunda 8 has
 * it), due and follow-up date (null removes one). At least one of them.
 */
export const editTaskSchema = z
  .strictObject({
    id: idSchema,
    priority: z.number().int('must be an integer').min(0).max(100).optional(),
    dueDate: dateTimeSchema.nullable().optional(),
    followUpDate: dateTimeSchema.nullable().optional(),
  })
  .refine(
    (data) => data.priority !== undefined || data.dueDate !== undefined || data.followUpDate !== undefined,
    {
      message: 'must change at least one of priority, dueDate, followUpDate',
      path: ['priority'],
    },
  );
export const addTaskCommentSchema = z.strictObject({
  id: idSchema,
  author: principalSchema,
  text: commentTextSchema,
});

export type CreateTaskData = z.infer<typeof createTaskSchema>;
export type AssignTaskData = z.infer<typeof assignTaskSchema>;
export type UpdateTaskAttributesData = z.infer<typeof updateTaskAttributesSchema>;
export type CandidateUsersData = z.infer<typeof candidateUsersSchema>;
export type CandidateGroupsData = z.infer<typeof candidateGroupsSchema>;
export type CompleteTaskData = z.infer<typeof completeTaskSchema>;
export type DeleteTaskData = z.infer<typeof deleteTaskSchema>;
export type ClaimTaskData = z.infer<typeof claimTaskSchema>;
export type UnclaimTaskData = z.infer<typeof unclaimTaskSchema>;
export type CompleteTaskInteractionData = z.infer<typeof completeTaskInteractionSchema>;
export type DeferTaskData = z.infer<typeof deferTaskSchema>;
export type UndeferTaskData = z.infer<typeof undeferTaskSchema>;
export type DelegateTaskData = z.infer<typeof delegateTaskSchema>;
export type EditTaskData = z.infer<typeof editTaskSchema>;
export type AddTaskCommentData = z.infer<typeof addTaskCommentSchema>;

export type CreateTask = { type: 'CreateTask'; data: CreateTaskData };
export type AssignTask = { type: 'AssignTask'; data: AssignTaskData };
export type UpdateTaskAttributes = { type: 'UpdateTaskAttributes'; data: UpdateTaskAttributesData };
export type AddCandidateUsers = { type: 'AddCandidateUsers'; data: CandidateUsersData };
export type DeleteCandidateUsers = { type: 'DeleteCandidateUsers'; data: CandidateUsersData };
export type AddCandidateGroups = { type: 'AddCandidateGroups'; data: CandidateGroupsData };
export type DeleteCandidateGroups = { type: 'DeleteCandidateGroups'; data: CandidateGroupsData };
export type CompleteTask = { type: 'CompleteTask'; data: CompleteTaskData };
export type DeleteTask = { type: 'DeleteTask'; data: DeleteTaskData };
export type ClaimTask = { type: 'ClaimTask'; data: ClaimTaskData };
export type UnclaimTask = { type: 'UnclaimTask'; data: UnclaimTaskData };
export type CompleteTaskInteraction = { type: 'CompleteTaskInteraction'; data: CompleteTaskInteractionData };
export type DeferTask = { type: 'DeferTask'; data: DeferTaskData };
export type UndeferTask = { type: 'UndeferTask'; data: UndeferTaskData };
export type DelegateTask = { type: 'DelegateTask'; data: DelegateTaskData };
export type EditTask = { type: 'EditTask'; data: EditTaskData };
export type AddTaskComment = { type: 'AddTaskComment'; data: AddTaskCommentData };

/** Commands that the engines and generic task sources send. */
export type TaskEngineCommand =
  | CreateTask
  | AssignTask
  | UpdateTaskAttributes
  | AddCandidateUsers
  | DeleteCandidateUsers
  | AddCandidateGroups
  | DeleteCandidateGroups
  | CompleteTask
  | DeleteTask;

/** Commands that users send through the tasklist. */
export type TaskInteractionCommand =
  | ClaimTask
  | UnclaimTask
  | CompleteTaskInteraction
  | DeferTask
  | UndeferTask
  | DelegateTask
  | EditTask
  | AddTaskComment;

export type TaskCommand = TaskEngineCommand | TaskInteractionCommand;

export const taskCommandSchemas = {
  CreateTask: createTaskSchema,
  AssignTask: assignTaskSchema,
  UpdateTaskAttributes: updateTaskAttributesSchema,
  AddCandidateUsers: candidateUsersSchema,
  DeleteCandidateUsers: candidateUsersSchema,
  AddCandidateGroups: candidateGroupsSchema,
  DeleteCandidateGroups: candidateGroupsSchema,
  CompleteTask: completeTaskSchema,
  DeleteTask: deleteTaskSchema,
  ClaimTask: claimTaskSchema,
  UnclaimTask: unclaimTaskSchema,
  CompleteTaskInteraction: completeTaskInteractionSchema,
  DeferTask: deferTaskSchema,
  UndeferTask: undeferTaskSchema,
  DelegateTask: delegateTaskSchema,
  EditTask: editTaskSchema,
  AddTaskComment: addTaskCommentSchema,
} as const satisfies Record<TaskCommand['type'], z.ZodType>;

/** The stream of one task. */
export const taskStreamId = (taskId: string): string => `task-${taskId}`;
