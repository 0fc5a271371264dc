import type { ApolloServerPlugin } from '@apollo/server';
import { nameHttpRequestSpan } from '@eddy/observability';

/**
 * Names the span of a GraphQL request over HTTP (`traceHttpRequests`, tracing on) after its operation:
 * `mutation claim`, `query` for an anonymous one, with `graphql.operation.type` and `graphql.operation.name`.
 * (A document whose operation cannot be resolved never gets here: its span keeps the route's name.)
 */
export function operationSpanPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, operationName }) {
          const type = operation?.operation ?? 'unknown';
          nameHttpRequestSpan(operationName ? `${type} ${operationName}` : type, {
            'graphql.operation.type': type,
            ...(operationName ? { 'graphql.operation.name': operationName } : {}),
          });
        },
      };
    },
  };
}
