import { type Variables } from '../engine.port';
import { checkFeelSyntax, isFeel, resolveAttribute } from './feel';

/**
 * The job type of a job-based element (`zeebe:taskDefinition type`), literal or FEEL: Camunda 8 evaluates a
 * FEEL type when the job is created, against the variables the element sees. Throws an error naming the
 * element when the value is not a non-empty string (the instance then gets an incident).
 */
export function resolveJobType(elementId: string, rawType: string, variables: Variables): string {
  let type: unknown;
  try {
    type = resolveAttribute(rawType, variables);
  } catch (error) {
    throw new Error(`${elementId}: zeebe:taskDefinition type ${rawType} failed: ${(error as Error).message}`);
  }
  if (typeof type !== 'string' || type.trim() === '') {
    throw new Error(
      `${elementId}: zeebe:taskDefinition type ${rawType} is ${JSON.stringify(type)}, not a job type`,
    );
  }
  return type;
}

/** At deployment: why a job type cannot be used, or null (a literal, or FEEL that parses). */
export function jobTypeProblem(rawType: unknown): string | null {
  if (typeof rawType !== 'string' || rawType.trim() === '') return 'zeebe:taskDefinition needs a type';
  if (!isFeel(rawType)) return null;
  try {
    checkFeelSyntax(rawType);
    return null;
  } catch (error) {
    return `zeebe:taskDefinition type is not valid FEEL: ${(error as Error).message}`;
  }
}
