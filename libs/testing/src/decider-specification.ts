import { expect } from '@jest/globals';
import { DomainError, foldEvents, type CommandMetadata, type Decider } from '@eddy/contracts';

/** The metadata a specification uses when the test gives none: a fixed time, so tests are repeatable. */
export const defaultTestMetadata: CommandMetadata = Object.freeze({
  commandId: 'command-1',
  correlationId: 'correlation-1',
  userId: 'tester',
  timestamp: '2026-01-01T08:00:00.000Z',
});

/** Metadata for a test, with the fields given overriding the defaults. */
export const testMetadata = (overrides: Partial<CommandMetadata> = {}): CommandMetadata => ({
  ...defaultTestMetadata,
  ...overrides,
});

/** What a specification checks once it knows the history and the command. */
export interface DeciderThen<Event, State> {
  /** The command emits exactly these events, in this order. */
  then(expected: Event[]): void;
  /** The command changes nothing: it emits no events. */
  thenNothing(): void;
  /** The decider refuses the command with a `DomainError` of this code. */
  thenThrows(code: string): DomainError;
  /** The command is accepted and `check` holds for the state after its events. */
  thenState(check: (state: State, events: Event[]) => void): void;
}

export interface DeciderWhen<Command, Event, State> {
  when(command: Command, metadata?: Partial<CommandMetadata>): DeciderThen<Event, State>;
}

/**
 * Given/when/then for deciders:
 *
 * ```ts
 * DeciderSpecification.for(taskDecider)
 *   .given([taskCreated])
 *   .when({ type: 'ClaimTask', data: { id: 't-1', assignee: 'anna' } })
 *   .then([{ type: 'TaskClaimed', data: { id: 't-1', assignee: 'anna' } }]);
 * ```
 *
 * `given` folds the history with the decider's own `evolve`, so a test also checks that the
 * decider accepts the events it writes. `then` evolves the emitted events too, so an event that
 * `evolve` cannot take fails the test even when the events match.
 */
export const DeciderSpecification = {
  for<Command, Event, State>(decider: Decider<Command, Event, State>) {
    return {
      given(history: Event[] = []): DeciderWhen<Command, Event, State> {
        return {
          when(command: Command, metadata?: Partial<CommandMetadata>): DeciderThen<Event, State> {
            const state = foldEvents(decider, history);
            const run = (): Event[] => decider.decide(command, state, testMetadata(metadata));
            const accepted = (): { events: Event[]; after: State } => {
              const events = run();
              return { events, after: foldEvents(decider, events, state) };
            };
            return {
              then(expected) {
                expect(accepted().events).toEqual(expected);
              },
              thenNothing() {
                expect(accepted().events).toEqual([]);
              },
              thenThrows(code) {
                let events: Event[];
                try {
                  events = run();
                } catch (error) {
                  expect(error).toBeInstanceOf(DomainError);
                  expect((error as DomainError).code).toBe(code);
                  return error as DomainError;
                }
                throw new Error(
                  `expected DomainError ${code}, but the command emitted ${JSON.stringify(events)}`,
                );
              },
              thenState(check) {
                const { events, after } = accepted();
                check(after, events);
              },
            };
          },
        };
      },
    };
  },
};
