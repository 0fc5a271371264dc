import { idSchema, type DataEntryRef } from '@eddy/contracts';
import type { Variables } from '../engine/engine.port';
import type { CollectorOptions, VariableFilter } from './collector.options';

/** Where a task lives: the keys that select filters and correlation mappings. */
export interface TaskLocation {
  processDefinitionKey: string;
  taskDefinitionKey: string;
}

/** The filter that applies to a task: its task definition's, else its process's, else none. */
export function filterFor(location: TaskLocation, filters: readonly VariableFilter[]): VariableFilter | null {
  let processFilter: VariableFilter | null = null;
  for (const filter of filters) {
    if (filter.processDefinitionKey !== location.processDefinitionKey) continue;
    if (filter.taskDefinitionKey === location.taskDefinitionKey) return filter;
    if (filter.taskDefinitionKey === undefined) processFilter ??= filter;
  }
  return processFilter;
}

/** The variables that become the task's payload. */
export function taskPayload(
  variables: Variables,
  location: TaskLocation,
  options: Pick<CollectorOptions, 'variableFilters'>,
): Variables {
  const filter = filterFor(location, options.variableFilters ?? []);
  if (!filter) return { ...variables };
  const payload: Variables = {};
  const include = filter.include ? new Set(filter.include) : null;
  const exclude = new Set(filter.exclude ?? []);
  for (const [name, value] of Object.entries(variables)) {
    if (include && !include.has(name)) continue;
    if (exclude.has(name)) continue;
    payload[name] = value;
  }
  return payload;
}

/** A variable that a correlation mapping names but whose value is no data entry id. */
export interface CorrelationProblem {
  variable: string;
  entryType: string;
  problem: string;
}

/**
 * The data entries the task is about, from the correlation mappings of its process and task. Mappings
 * read all variables, filtered or not: a variable may name the data entry without being part of the payload.
 * A missing (or null) variable yields no correlation; a value that is no valid id yields a problem.
 */
export function taskCorrelations(
  variables: Variables,
  location: TaskLocation,
  options: Pick<CollectorOptions, 'correlations'>,
): { correlations: DataEntryRef[]; problems: CorrelationProblem[] } {
  const correlations: DataEntryRef[] = [];
  const problems: CorrelationProblem[] = [];
  const seen = new Set<string>();
  for (const mapping of options.correlations ?? []) {
    if (mapping.processDefinitionKey !== location.processDefinitionKey) continue;
    if (mapping.taskDefinitionKey !== undefined && mapping.taskDefinitionKey !== location.taskDefinitionKey) {
      continue;
    }
    const value = variables[mapping.variable];
    if (value === undefined || value === null) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      const entryId =
        typeof item === 'string'
          ? item
          : typeof item === 'number' && Number.isFinite(item)
            ? String(item)
            : null;
      if (entryId === null || !idSchema.safeParse(entryId).success) {
        problems.push({
          variable: mapping.variable,
          entryType: mapping.entryType,
          problem: `value ${JSON.stringify(item)} is not a data entry id`,
        });
        continue;
      }
      const key = `${mapping.entryType}\u0000${entryId}`;
      if (seen.has(key)) continue;
      seen.add(key);
      correlations.push({ entryType: mapping.entryType, entryId });
    }
  }
  return { correlations, problems };
}
