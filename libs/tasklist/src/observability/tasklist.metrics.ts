import type { ApolloServerPlugin } from '@apollo/server';
import { gauge, histogram } from '@eddy/observability';

const operationSeconds = histogram(
  'eddy_graphql_operation_seconds',
  'GraphQL queries and mutations over HTTP, by operation type and outcome',
  ['type', 'outcome'],
);

/** Times every GraphQL request over HTTP from its arrival to its answer. */
export function operationLatencyPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const stop = operationSeconds.startTimer();
      return {
        async willSendResponse(context) {
          stop({
            type: context.operation?.operation ?? 'unknown',
            outcome: context.errors?.length ? 'error' : 'ok',
          });
        },
      };
    },
  };
}

/** The graphql-ws connections of this process, whatever server instance holds them. */
const connections = new Set<{ subscriptions: Record<string, unknown> }>();

const subscriptionsOpen = gauge(
  'eddy_graphql_subscriptions_open',
  'Subscriptions (and other operations) running on graphql-ws connections',
);
Object.assign(subscriptionsOpen, {
  collect: () => {
    let open = 0;
    for (const connection of connections) open += Object.keys(connection.subscriptions).length;
    subscriptionsOpen.set(open);
  },
});

/** Counts the operations of a graphql-ws connection in the subscriptions gauge until it closes. */
export function trackConnection(connection: { subscriptions: Record<string, unknown> }): () => void {
  connections.add(connection);
  return () => connections.delete(connection);
}
