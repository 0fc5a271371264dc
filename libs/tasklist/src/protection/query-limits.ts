import type { ApolloServerPlugin } from '@apollo/server';
import { Inject, Injectable } from '@nestjs/common';
import type {
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLError,
  GraphQLSchema,
  OperationDefinitionNode,
  SelectionSetNode,
} from 'graphql';
import type { ComplexityEstimator } from 'graphql-query-complexity';
import { graphql, queryComplexity } from '../graphql-runtime';
import { tasklistError } from '../tasklist.errors';
import { TASKLIST_OPTIONS, type TasklistOptions } from '../tasklist.options';

const { getNamedType, getNullableType, isListType, Kind } = graphql;

/** Assumed length of a list field without `first` (joins, correlations, snapshots). */
const LIST_FACTOR = 10;

/**
 * The cost estimate: 1 per object field (scalars are free), times the page size for fields with
 * `first`, times {@link LIST_FACTOR} for other lists. `nodes` of a connection is already paid for
 * by the connection's `first`. A `first` above `maxPageSize` counts as `maxPageSize`: the resolver
 * refuses it with `BAD_USER_INPUT` naming `first`, which says more than a cost error would.
 */
export const tasklistCostEstimator =
  (maxPageSize: number): ComplexityEstimator =>
  ({ type, field, args, childComplexity }) => {
    const fieldType = getNullableType(field.type);
    const first = args?.first;
    let multiplier = 1;
    if (typeof first === 'number') multiplier = Math.min(Math.max(first, 1), maxPageSize);
    else if (isListType(fieldType) && !type.name.endsWith('Connection')) multiplier = LIST_FACTOR;
    const own = childComplexity > 0 || !isLeafNamed(field.type) ? 1 : 0;
    return own + multiplier * childComplexity;
  };

function isLeafNamed(type: Parameters<typeof getNamedType>[0]): boolean {
  const named = getNamedType(type);
  return named === undefined || !('getFields' in named);
}

/** Depth of the deepest selection, following fragments; introspection fields are not counted. */
export function operationDepth(
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
): number {
  const depthOf = (set: SelectionSetNode | undefined, seen: Set<string>): number => {
    if (!set) return 0;
    let max = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__')) continue;
        max = Math.max(max, 1 + depthOf(selection.selectionSet, seen));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        max = Math.max(max, depthOf(selection.selectionSet, seen));
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // A cycle is a validation error reported elsewhere; here it only must not loop.
        if (!fragment || seen.has(name)) continue;
        max = Math.max(max, depthOf(fragment.selectionSet, new Set([...seen, name])));
      }
    }
    return max;
  };
  return depthOf(operation.selectionSet, new Set());
}

/** Maximum depth and cost of an operation, for HTTP (an Apollo plugin) and graphql-ws alike. */
@Injectable()
export class QueryLimits {
  constructor(@Inject(TASKLIST_OPTIONS) private readonly options: TasklistOptions) {}

  /** The errors of an operation that exceeds a limit; empty when it is within them. */
  check(
    schema: GraphQLSchema,
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Record<string, unknown> | null | undefined,
  ): GraphQLError[] {
    const operations = document.definitions.filter(
      (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
    );
    const operation = operationName
      ? operations.find((o) => o.name?.value === operationName)
      : operations.length === 1
        ? operations[0]
        : undefined;
    if (!operation) return [];
    const fragments = new Map(
      document.definitions
        .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
        .map((f) => [f.name.value, f]),
    );
    const depth = operationDepth(operation, fragments);
    if (depth > this.options.maxQueryDepth) {
      return [
        tasklistError(
          'QUERY_TOO_COMPLEX',
          `query depth ${depth} exceeds the maximum of ${this.options.maxQueryDepth}`,
          { depth, maxDepth: this.options.maxQueryDepth },
        ),
      ];
    }
    let cost: number;
    try {
      cost = queryComplexity.getComplexity({
        schema,
        query: document,
        operationName: operationName ?? undefined,
        variables: variables ?? {},
        estimators: [tasklistCostEstimator(this.options.maxPageSize)],
      });
    } catch (error) {
      // Bad variables: execution reports them with their own message.
      if (error instanceof Error && /variable|argument/i.test(error.message)) return [];
      throw error;
    }
    if (cost > this.options.maxQueryCost) {
      return [
        tasklistError(
          'QUERY_TOO_COMPLEX',
          `query cost ${cost} exceeds the maximum of ${this.options.maxQueryCost} (lower first or select fewer joins)`,
          { cost, maxCost: this.options.maxQueryCost },
        ),
      ];
    }
    return [];
  }

  /** Refuses over-limit operations before they execute. */
  apolloPlugin(): ApolloServerPlugin {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const limits = this;
    return {
      async requestDidStart() {
        return {
          async didResolveOperation({ request, document, schema }) {
            const errors = limits.check(schema, document, request.operationName, request.variables);
            if (errors.length > 0) throw errors[0];
          },
        };
      },
    };
  }
}
