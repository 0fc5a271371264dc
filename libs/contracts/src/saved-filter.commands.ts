import { z } from 'zod';
import { commentProblem } from './comment.validation';
import { idSchema, payloadSchema, principalSchema } from './common.schema';

/** The longest name of a saved filter. */
export const MAX_SAVED_FILTER_NAME_LENGTH = 200;
/** The largest saved filter condition, as JSON. */
export const MAX_SAVED_FILTER_JSON_LENGTH = 16_000;
/** The most groups one saved filter is shared with. */
export const MAX_SAVED_FILTER_GROUPS = 100;

/** A name is plain text on one line, not blank, within {@link MAX_SAVED_FILTER_NAME_LENGTH}. */
export const savedFilterNameSchema = z.string().superRefine((name, ctx) => {
  const problem = /[\r\n\t]/.test(name)
    ? 'must be on one line'
    : commentProblem(name, MAX_SAVED_FILTER_NAME_LENGTH);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * The conditions of a saved filter: a `TaskFilter` of the tasklist as a JSON object. The commands hold
 * it as data; the tasklist validates it exactly as it validates the `filter` of `tasks` before it sends
 * the command, so that a saved filter can be given to `tasks` as it is.
 */
export const savedFilterConditionsSchema = payloadSchema.superRefine((filter, ctx) => {
  if (JSON.stringify(filter).length > MAX_SAVED_FILTER_JSON_LENGTH) {
    ctx.addIssue({
      code: 'custom',
      message: `must be at most ${MAX_SAVED_FILTER_JSON_LENGTH} characters as JSON`,
    });
  }
});

/** The sort of a saved filter: `TaskSort`s of the tasklist (fields checked there, as for `tasks`). */
export const savedFilterSortSchema = z
  .array(
    z.strictObject({
      field: z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters'),
      direction: z.enum(['ASC', 'DESC']).optional(),
    }),
  )
  .max(10, 'must hold at most 10 sort keys');

export const saveFilterSchema = z.strictObject({
  id: idSchema,
  /** The user the filter belongs to. */
  owner: principalSchema,
  name: savedFilterNameSchema,
  filter: savedFilterConditionsSchema,
  sort: savedFilterSortSchema.optional(),
});

/** Renames a saved filter or changes its conditions or sort: at least one of them. */
export const updateFilterSchema = z
  .strictObject({
    id: idSchema,
    name: savedFilterNameSchema.optional(),
    filter: savedFilterConditionsSchema.optional(),
    sort: savedFilterSortSchema.optional(),
  })
  .refine((data) => data.name !== undefined || data.filter !== undefined || data.sort !== undefined, {
    message: 'must change at least one of name, filter, sort',
    path: ['name'],
  });

export const deleteFilterSchema = z.strictObject({ id: idSchema });

/** The groups whose members see the filter besides its owner; an empty list shares it with nobody. */
export const shareFilterSchema = z.strictObject({
  id: idSchema,
  groups: z
    .array(principalSchema)
    .max(MAX_SAVED_FILTER_GROUPS, `must hold at most ${MAX_SAVED_FILTER_GROUPS} groups`),
});

export type SaveFilterData = z.infer<typeof saveFilterSchema>;
export type UpdateFilterData = z.infer<typeof updateFilterSchema>;
export type DeleteFilterData = z.infer<typeof deleteFilterSchema>;
export type ShareFilterData = z.infer<typeof shareFilterSchema>;
export type SavedFilterSort = z.infer<typeof savedFilterSortSchema>;

export type SaveFilter = { type: 'SaveFilter'; data: SaveFilterData };
export type UpdateFilter = { type: 'UpdateFilter'; data: UpdateFilterData };
export type DeleteFilter = { type: 'DeleteFilter'; data: DeleteFilterData };
export type ShareFilter = { type: 'ShareFilter'; data: ShareFilterData };

/**
 * The commands of a user's saved task filters. Only the tasklist sends them (it authorises the user and
 * validates the filter); the command API and the command topic of process applications refuse them.
 */
export type SavedFilterCommand = SaveFilter | UpdateFilter | DeleteFilter | ShareFilter;

export const savedFilterCommandSchemas = {
  SaveFilter: saveFilterSchema,
  UpdateFilter: updateFilterSchema,
  DeleteFilter: deleteFilterSchema,
  ShareFilter: shareFilterSchema,
} as const satisfies Record<SavedFilterCommand['type'], z.ZodType>;

/** The stream of one saved filter. */
export const savedFilterStreamId = (filterId: string): string => `saved-filter-${filterId}`;
