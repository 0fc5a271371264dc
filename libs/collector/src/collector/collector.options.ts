/**
 * What the collector needs to know about the application whose engine it listens to, and how it enriches
 * tasks with process variables.
 */
export interface CollectorOptions {
  /** Name of the process application (engine) the tasks come from; part of every `sourceReference`. */
  applicationName: string;
  /** Which process variables become the payload of a task. Default: all of them. */
  variableFilters?: VariableFilter[];
  /** Variables whose values name data entries that the task is about. */
  correlations?: CorrelationMapping[];
  /** How deep payloads and variables may nest (`EDDY_MAX_PAYLOAD_DEPTH`). Default 64. */
  maxPayloadDepth?: number;
}

/**
 * Chooses the variables that become a task's payload. The filter of the task definition wins over the one
 * of its process; without a filter a task gets every variable visible at it.
 */
export interface VariableFilter {
  processDefinitionKey: string;
  /** The BPMN element id of the user task; absent: the filter applies to every task of the process. */
  taskDefinitionKey?: string;
  /** Only these variables (absent: all of them). */
  include?: string[];
  /** Never these variables (applied after `include`). */
  exclude?: string[];
}

/**
 * A variable holding the id of a data entry: `{ processDefinitionKey: 'insurance-claim', variable:
 * 'claimId', entryType: 'claim' }` correlates every task of that process with `{ entryType: 'claim',
 * entryId: <value of claimId> }`. A variable holding a list of ids yields one correlation per id.
 */
export interface CorrelationMapping {
  processDefinitionKey: string;
  /** Restricts the mapping to one user task; absent: every task of the process. */
  taskDefinitionKey?: string;
  variable: string;
  entryType: string;
}

/** Injection token of the {@link CollectorOptions}. */
export const COLLECTOR_OPTIONS = Symbol('COLLECTOR_OPTIONS');

/** Checks the options and names the bad field; called when the module is created. */
export function validateCollectorOptions(options: CollectorOptions): CollectorOptions {
  const fail = (field: string, problem: string): never => {
    throw new Error(`collector options: ${field}: ${problem}`);
  };
  if (!options || typeof options !== 'object') fail('options', 'an object is required');
  if (
    typeof options.applicationName !== 'string' ||
    !/^[A-Za-z0-9._:@\-/+]+$/.test(options.applicationName)
  ) {
    fail('applicationName', 'a name of letters, digits and . _ : @ - / + is required');
  }
  const nonEmpty = (value: unknown, field: string) => {
    if (typeof value !== 'string' || value === '') fail(field, 'a non-empty string is required');
  };
  const names = (value: unknown, field: string) => {
    if (value === undefined) return;
    if (!Array.isArray(value)) fail(field, 'a list of variable names is required');
    (value as unknown[]).forEach((name, i) => nonEmpty(name, `${field}[${i}]`));
  };
  const list = <T>(value: T[] | undefined, field: string): T[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value)) fail(field, 'a list is required');
    value.forEach((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item))
        fail(`${field}[${i}]`, 'an object is required');
    });
    return value;
  };
  list(options.variableFilters, 'variableFilters').forEach((filter, i) => {
    const at = `variableFilters[${i}]`;
    nonEmpty(filter.processDefinitionKey, `${at}.processDefinitionKey`);
    if (filter.taskDefinitionKey !== undefined) nonEmpty(filter.taskDefinitionKey, `${at}.taskDefinitionKey`);
    names(filter.include, `${at}.include`);
    names(filter.exclude, `${at}.exclude`);
    if (filter.include === undefined && filter.exclude === undefined) {
      fail(at, 'include or exclude is required');
    }
  });
  list(options.correlations, 'correlations').forEach((mapping, i) => {
    const at = `correlations[${i}]`;
    nonEmpty(mapping.processDefinitionKey, `${at}.processDefinitionKey`);
    if (mapping.taskDefinitionKey !== undefined)
      nonEmpty(mapping.taskDefinitionKey, `${at}.taskDefinitionKey`);
    nonEmpty(mapping.variable, `${at}.variable`);
    nonEmpty(mapping.entryType, `${at}.entryType`);
  });
  const depth = options.maxPayloadDepth;
  if (depth !== undefined && (!Number.isInteger(depth) || depth < 1)) {
    fail('maxPayloadDepth', 'a positive whole number is required');
  }
  return options;
}
