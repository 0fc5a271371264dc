import type { SavedFilterCommand } from '@eddy/contracts';
import {
  canReadSavedFilter,
  compileTaskFilter,
  compileTaskSort,
  VIEW_STORE,
  type SavedFilterView,
  type TaskFilter,
  type TaskSort,
  type ViewStore,
} from '@eddy/projections';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { TaskInteractionsService } from '../task-interactions.service';
import type { TasklistContext } from '../tasklist.context';
import { mapQueryError, tasklistError } from '../tasklist.errors';
import { TASKLIST_OPTIONS, type TasklistOptions } from '../tasklist.options';

/** What `saveFilter` and `updateFilter` receive: `TaskFilter` and `TaskSort`s as `tasks` receives them. */
export interface SavedFilterChanges {
  name?: string | null;
  filter?: TaskFilter | null;
  sort?: TaskSort[] | null;
}

/**
 * The saved filters of the tasklist. Each mutation checks who may do it on the saved-filters view, validates
 * the filter as `tasks` validates its arguments, sends its command through the core and answers once the view
 * shows it (read your writes). A filter the user may not read is answered as one that does not exist.
 */
@Injectable()
export class SavedFiltersService {
  constructor(
    @Inject(VIEW_STORE) private readonly views: ViewStore,
    @Inject(TaskInteractionsService) private readonly interactions: TaskInteractionsService,
    @Inject(TASKLIST_OPTIONS) private readonly options: TasklistOptions,
  ) {}

  list(context: TasklistContext): Promise<SavedFilterView[]> {
    return this.views.savedFilters(context.viewer);
  }

  /** Saves a filter for the current user, within `EDDY_SAVED_FILTERS_PER_USER`. */
  async save(
    context: TasklistContext,
    name: string,
    filter: TaskFilter,
    sort: TaskSort[] | null,
  ): Promise<SavedFilterView> {
    this.checkTaskQuery(context, filter, sort);
    const userId = context.viewer.userId;
    const own = (await this.views.savedFilters({ userId, groups: [] })).filter((f) => f.owner === userId);
    if (own.length >= this.options.maxSavedFiltersPerUser) {
      throw tasklistError(
        'BAD_USER_INPUT',
        `${userId} has ${own.length} saved filters, the most allowed (EDDY_SAVED_FILTERS_PER_USER); delete one first`,
        { reason: 'TOO_MANY_SAVED_FILTERS' },
      );
    }
    const id = randomUUID();
    return this.send(context, id, {
      type: 'SaveFilter',
      data: { id, owner: userId, name, filter: asJson(filter), ...(sort ? { sort } : {}) },
    });
  }

  /** Renames a filter or replaces its filter or sort: its owner, or an admin. */
  async update(context: TasklistContext, id: string, changes: SavedFilterChanges): Promise<SavedFilterView> {
    if (changes.filter) this.checkTaskQuery(context, changes.filter, null);
    if (changes.sort) this.checkTaskQuery(context, null, changes.sort);
    await this.changeable(context, id, 'change');
    return this.send(context, id, {
      type: 'UpdateFilter',
      data: {
        id,
        ...(typeof changes.name === 'string' ? { name: changes.name } : {}),
        ...(changes.filter ? { filter: asJson(changes.filter) } : {}),
        ...(changes.sort ? { sort: changes.sort } : {}),
      },
    });
  }

  /** Deletes a filter: its owner, or an admin. */
  async delete(context: TasklistContext, id: string): Promise<string> {
    await this.changeable(context, id, 'delete');
    await this.interactions.dispatchAndWait(
      context,
      { type: 'DeleteFilter', data: { id } },
      `saved filter ${id}`,
      ['saved-filters'],
      FIELDS,
    );
    return id;
  }

  /** Shares a filter with groups, replacing the previous ones: admins only. */
  async share(context: TasklistContext, id: string, groups: string[]): Promise<SavedFilterView> {
    if (!context.identity.permissions.has('admin')) {
      throw tasklistError('FORBIDDEN', 'sharing a saved filter needs the admin permission');
    }
    await this.existing(context, id);
    return this.send(context, id, { type: 'ShareFilter', data: { id, groups } });
  }

  /**
   * The filter and sort as `tasks` would check them (a filter field `tasks` does not know is already refused
   * by the GraphQL input type `TaskFilter`): errors name `filter.<field>` and `sort[<i>].<field>`.
   */
  private checkTaskQuery(context: TasklistContext, filter: TaskFilter | null, sort: TaskSort[] | null): void {
    try {
      if (filter) compileTaskFilter(filter, context.viewer);
      if (sort) compileTaskSort(sort);
    } catch (error) {
      mapQueryError(error);
    }
  }

  /** The filter, when the user may read it or is an admin; otherwise NOT_FOUND. */
  private async existing(context: TasklistContext, id: string): Promise<SavedFilterView> {
    const found = await this.views.getSavedFilter(id);
    if (found && (canReadSavedFilter(found, context.viewer) || context.identity.permissions.has('admin'))) {
      return found;
    }
    throw tasklistError('NOT_FOUND', `saved filter ${id} does not exist or is not visible to you`, {
      field: 'id',
    });
  }

  /** The filter, when the user owns it or is an admin; a filter shared with them only is FORBIDDEN. */
  private async changeable(context: TasklistContext, id: string, action: string): Promise<SavedFilterView> {
    const found = await this.existing(context, id);
    if (found.owner !== context.viewer.userId && !context.identity.permissions.has('admin')) {
      throw tasklistError('FORBIDDEN', `only the owner of saved filter ${id} (or an admin) may ${action} it`);
    }
    return found;
  }

  private async send(
    context: TasklistContext,
    id: string,
    command: SavedFilterCommand,
  ): Promise<SavedFilterView> {
    await this.interactions.dispatchAndWait(
      context,
      command,
      `saved filter ${id}`,
      ['saved-filters'],
      FIELDS,
    );
    const after = await this.views.getSavedFilter(id);
    if (!after) throw tasklistError('NOT_FOUND', `saved filter ${id} does not exist`, { field: 'id' });
    return after;
  }
}

/** The commands' field paths (as validated, and as the core names them) as the mutations' arguments. */
const FIELDS: Record<string, string> = { 'data.id': 'id' };

/** The filter as GraphQL coerced it, as plain JSON: the object the command carries and the view keeps. */
function asJson(filter: TaskFilter): Record<string, unknown> {
  return JSON.parse(JSON.stringify(filter)) as Record<string, unknown>;
}
