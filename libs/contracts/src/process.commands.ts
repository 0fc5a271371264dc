import { z } from 'zod';
import {
  idSchema,
  nameSchema,
  payloadSchema,
  principalSchema,
  sourceReferenceSchema,
  textSchema,
} from './common.schema';
import { joinIdParts } from './id-parts';

export const registerProcessDefinitionSchema = z.strictObject({
  id: idSchema,
  key: idSchema,
  version: z.number().int('must be an integer').min(1, 'must be at least 1'),
  name: nameSchema,
  applicationName: idSchema,
  versionTag: z.string().max(256).optional(),
  description: textSchema.optional(),
  formKey: z.string().max(1_000).optional(),
  startableFromTasklist: z.boolean(),
  candidateStarterUsers: z.array(principalSchema).max(1_000).optional(),
  candidateStarterGroups: z.array(principalSchema).max(1_000).optional(),
});

export const processInstanceLifecycleSchema = z.strictObject({
  sourceReference: sourceReferenceSchema,
  businessKey: z.string().max(1_000).optional(),
  startUserId: principalSchema.optional(),
  reason: textSchema.optional(),
  /** `StartProcessInstance`: the instance of the same application whose call activity started this one. */
  parentInstanceId: idSchema.optional(),
});

/** A user asked to cancel a running instance; the engine client tells the engine, whose report then closes it. */
export const requestProcessInstanceCancellationSchema = z.strictObject({
  sourceReference: sourceReferenceSchema,
  reason: textSchema.optional(),
});

export const changeProcessVariablesSchema = z.strictObject({
  sourceReference: sourceReferenceSchema,
  /** Variables set or changed; a null value removes the variable. */
  variables: payloadSchema,
});

export type RegisterProcessDefinitionData = z.infer<typeof registerProcessDefinitionSchema>;
export type ProcessInstanceLifecycleData = z.infer<typeof processInstanceLifecycleSchema>;
export type ChangeProcessVariablesData = z.infer<typeof changeProcessVariablesSchema>;
export type RequestProcessInstanceCancellationData = z.infer<typeof requestProcessInstanceCancellationSchema>;

export type RegisterProcessDefinition = {
  type: 'RegisterProcessDefinition';
  data: RegisterProcessDefinitionData;
};
export type StartProcessInstance = { type: 'StartProcessInstance'; data: ProcessInstanceLifecycleData };
export type FinishProcessInstance = { type: 'FinishProcessInstance'; data: ProcessInstanceLifecycleData };
export type CancelProcessInstance = { type: 'CancelProcessInstance'; data: ProcessInstanceLifecycleData };
export type SuspendProcessInstance = { type: 'SuspendProcessInstance'; data: ProcessInstanceLifecycleData };
export type ResumeProcessInstance = { type: 'ResumeProcessInstance'; data: ProcessInstanceLifecycleData };
export type ChangeProcessVariables = { type: 'ChangeProcessVariables'; data: ChangeProcessVariablesData };
export type RequestProcessInstanceCancellation = {
  type: 'RequestProcessInstanceCancellation';
  data: RequestProcessInstanceCancellationData;
};

export type ProcessDefinitionCommand = RegisterProcessDefinition;
export type ProcessInstanceCommand =
  | StartProcessInstance
  | FinishProcessInstance
  | CancelProcessInstance
  | SuspendProcessInstance
  | ResumeProcessInstance
  | ChangeProcessVariables
  | RequestProcessInstanceCancellation;

export const processCommandSchemas = {
  RegisterProcessDefinition: registerProcessDefinitionSchema,
  StartProcessInstance: processInstanceLifecycleSchema,
  FinishProcessInstance: processInstanceLifecycleSchema,
  CancelProcessInstance: processInstanceLifecycleSchema,
  SuspendProcessInstance: processInstanceLifecycleSchema,
  ResumeProcessInstance: processInstanceLifecycleSchema,
  ChangeProcessVariables: changeProcessVariablesSchema,
  RequestProcessInstanceCancellation: requestProcessInstanceCancellationSchema,
} as const satisfies Record<(ProcessDefinitionCommand | ProcessInstanceCommand)['type'], z.ZodType>;

export const processDefinitionStreamId = (definitionId: string): string =>
  `process-definition-${definitionId}`;

/**
 * Instance ids are unique per application (engine), not across engines. The parts are joined so that a `/`
 * inside one cannot make two instances share a stream.
 */
export const processInstanceStreamId = (applicationName: string, instanceId: string): string =>
  `process-instance-${joinIdParts('/', [applicationName, instanceId])}`;
