import type { ApolloServerPlugin } from '@apollo/server';

/**
 * Closes the graphql-ws connections when the server stops, before the HTTP server is drained.
 *
 * Apollo's drain (which `@nestjs/apollo` installs, and which finishes the requests in flight) ends every
 * socket without a request at once, the upgraded WebSockets among them: clients would see 1006 without a
 * close frame. Apollo calls every plugin's `drainServer` together, and its own waits a turn of the event
 * loop before it ends sockets, so the close frames that the listeners send synchronously go first.
 */
export class GraphqlWsDrain {
  private readonly listeners: (() => Promise<void>)[] = [];

  /** `listener` must send its close frames before its first `await`. */
  onDrain(listener: () => Promise<void>): void {
    this.listeners.push(listener);
  }

  plugin(): ApolloServerPlugin {
    return {
      serverWillStart: async () => ({
        drainServer: async () => {
          await Promise.all(this.listeners.map((listener) => listener()));
        },
      }),
    };
  }
}

/** Injection token of the {@link GraphqlWsDrain} of one tasklist module. */
export const GRAPHQL_WS_DRAIN = Symbol('GRAPHQL_WS_DRAIN');
