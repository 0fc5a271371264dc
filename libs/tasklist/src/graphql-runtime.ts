import type * as GraphQL from 'graphql';
import type * as QueryComplexity from 'graphql-query-complexity';

/**
 * The one `graphql` instance of the process. Nest and Apollo load graphql's CommonJS build; a
 * runner that compiles this library as ES modules would otherwise hand it graphql's `.mjs`
 * build, whose classes fail graphql's own `instanceof` checks against the schema Nest built
 * ("Cannot use GraphQLObjectType from another module or realm"). `require` resolves the CommonJS
 * build in both worlds. Type-only imports may still name 'graphql' directly.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const graphql: typeof GraphQL = require('graphql');

/** graphql-query-complexity's CommonJS build, which uses the same graphql instance. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const queryComplexity: typeof QueryComplexity = require('graphql-query-complexity');
