import { ProjectionRunner, type SavedFilterView, type TaskFilter, type TaskSort } from '@eddy/projections';
import { Inject, Optional, UseFilters } from '@nestjs/common';
import { Args, Context, Mutation, Query, Resolver } from '@nestjs/graphql';
import { assertViewComplete } from '../resolvers/view-availability';
import type { TasklistContext } from '../tasklist.context';
import { ClientErrorsFilter } from '../tasklist.errors';
import { SavedFiltersService } from './saved-filters.service';

/** `savedFilters`, `saveFilter`, `updateFilter`, `deleteFilter` and `shareFilter` (schema/saved-filters.graphql). */
@UseFilters(new ClientErrorsFilter())
@Resolver('SavedFilter')
export class SavedFiltersResolver {
  constructor(
    @Inject(SavedFiltersService) private readonly filters: SavedFiltersService,
    @Optional() @Inject(ProjectionRunner) private readonly runner: ProjectionRunner | null = null,
  ) {}

  @Query('savedFilters')
  savedFilters(@Context() context: TasklistContext): Promise<SavedFilterView[]> {
    assertViewComplete(this.runner, 'saved-filters');
    return this.filters.list(context);
  }

  @Mutation('saveFilter')
  saveFilter(
    @Args('name') name: string,
    @Args('filter') filter: TaskFilter,
    @Args('sort') sort: TaskSort[] | null,
    @Context() context: TasklistContext,
  ): Promise<SavedFilterView> {
    return this.filters.save(context, name, filter, sort ?? null);
  }

  @Mutation('updateFilter')
  updateFilter(
    @Args('id') id: string,
    @Args('name') name: string | null,
    @Args('filter') filter: TaskFilter | null,
    @Args('sort') sort: TaskSort[] | null,
    @Context() context: TasklistContext,
  ): Promise<SavedFilterView> {
    return this.filters.update(context, id, { name, filter, sort });
  }

  @Mutation('deleteFilter')
  deleteFilter(@Args('id') id: string, @Context() context: TasklistContext): Promise<string> {
    return this.filters.delete(context, id);
  }

  @Mutation('shareFilter')
  shareFilter(
    @Args('id') id: string,
    @Args('groups') groups: string[],
    @Context() context: TasklistContext,
  ): Promise<SavedFilterView> {
    return this.filters.share(context, id, groups);
  }
}
