import { z } from 'zod';
import {
  authorizationChangeSchema,
  dataEntryRefSchema,
  dataEntryStateSchema,
  idSchema,
  modificationSchema,
  nameSchema,
  payloadSchema,
  principalSchema,
  textSchema,
} from './common.schema';
import { joinIdParts } from './id-parts';

export const createOrUpdateDataEntrySchema = z.strictObject({
  entryType: idSchema,
  entryId: idSchema,
  type: nameSchema,
  name: nameSchema,
  applicationName: idSchema,
  description: textSchema.optional(),
  formKey: z.string().max(1_000).optional(),
  state: dataEntryStateSchema.optional(),
  payload: payloadSchema.optional(),
  correlations: z.array(dataEntryRefSchema).max(1_000, 'must hold at most 1000 references').optional(),
  authorizations: z.array(authorizationChangeSchema).max(1_000, 'must hold at most 1000 changes').optional(),
  modification: modificationSchema.optional(),
});

export const deleteDataEntrySchema = z.strictObject({
  entryType: idSchema,
  entryId: idSchema,
  modification: modificationSchema.optional(),
});

export const anonymizeDataEntrySchema = z.strictObject({
  entryType: idSchema,
  entryId: idSchema,
  anonymizedUsername: principalSchema,
  excludedUsernames: z.array(principalSchema).max(1_000).optional(),
});

export type CreateOrUpdateDataEntryData = z.infer<typeof createOrUpdateDataEntrySchema>;
export type DeleteDataEntryData = z.infer<typeof deleteDataEntrySchema>;
export type AnonymizeDataEntryData = z.infer<typeof anonymizeDataEntrySchema>;

export type CreateOrUpdateDataEntry = { type: 'CreateOrUpdateDataEntry'; data: CreateOrUpdateDataEntryData };
export type DeleteDataEntry = { type: 'DeleteDataEntry'; data: DeleteDataEntryData };
export type AnonymizeDataEntry = { type: 'AnonymizeDataEntry'; data: AnonymizeDataEntryData };

export type DataEntryCommand = CreateOrUpdateDataEntry | DeleteDataEntry | AnonymizeDataEntry;

export const dataEntryCommandSchemas = {
  CreateOrUpdateDataEntry: createOrUpdateDataEntrySchema,
  DeleteDataEntry: deleteDataEntrySchema,
  AnonymizeDataEntry: anonymizeDataEntrySchema,
} as const satisfies Record<DataEntryCommand['type'], z.ZodType>;

/** A data entry's identity: `entryType#entryId` (a `#` inside a part is encoded, so identities never collide). */
export const dataEntryId = (entryType: string, entryId: string): string =>
  joinIdParts('#', [entryType, entryId]);

/** The stream of one data entry. */
export const dataEntryStreamId = (entryType: string, entryId: string): string =>
  `data-entry-${dataEntryId(entryType, entryId)}`;
