import { Inject, UseFilters } from '@nestjs/common';
import { Args, Query, Resolver } from '@nestjs/graphql';
import { badInput, ClientErrorsFilter } from '../tasklist.errors';
import { FormCatalog, type CamundaForm } from './form-catalog';

/** `form(key)`: the Camunda Form a task's or a process's formKey names (forms hold no user data). */
@UseFilters(new ClientErrorsFilter())
@Resolver()
export class FormQueryResolver {
  constructor(@Inject(FormCatalog) private readonly catalog: FormCatalog) {}

  @Query('form')
  form(@Args('key') key: string): CamundaForm | null {
    if (key.length === 0 || key.length > 512) throw badInput('key', 'must be 1 to 512 characters');
    return this.catalog.get(key);
  }
}
