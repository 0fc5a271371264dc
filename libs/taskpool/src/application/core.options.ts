import { eventSchemaVersions, type DomainEventType } from '@eddy/contracts';
import type { HandleCommandOptions } from '@eddy/eventstore/handle-command';

export interface CoreOptions {
  /** Re-reads and decides again at most this many times after a revision conflict. */
  maxRetries: number;
}

/** Injection token of the {@link CoreOptions}. */
export const CORE_OPTIONS = Symbol('CORE_OPTIONS');

export function handleCommandOptions(options: CoreOptions): HandleCommandOptions {
  return {
    maxRetries: options.maxRetries,
    schemaVersionOf: (type) => eventSchemaVersions[type as DomainEventType] ?? 1,
  };
}
