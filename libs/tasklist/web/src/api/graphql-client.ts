import { createClient, type Client } from 'graphql-ws/client';

/** A GraphQL error as the server words it, with its code (`CONFLICT`, `BAD_USER_INPUT` ...). */
export class GraphqlError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

interface GraphqlResponse<T> {
  data?: T | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** The first error of an answer, in the server's words. */
function errorOf(errors: NonNullable<GraphqlResponse<unknown>['errors']>): GraphqlError {
  const first = errors[0];
  return new GraphqlError(first?.message ?? 'the server answered with an error', first?.extensions?.code);
}

/**
 * The page's one way to the tasklist API: queries and mutations over HTTP, subscriptions over
 * graphql-ws on the same path, both carrying the same credentials.
 */
export class TasklistApi {
  private readonly ws: Client;

  constructor(
    private readonly path: string,
    private readonly credentials: () => Record<string, string>,
  ) {
    const url = new URL(path, window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.ws = createClient({
      url: url.toString(),
      connectionParams: () => this.credentials(),
      lazy: true,
      retryAttempts: Infinity,
      shouldRetry: () => true,
    });
  }

  async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.credentials() },
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      throw new GraphqlError('the server cannot be reached', 'NETWORK');
    }
    let body: GraphqlResponse<T>;
    try {
      body = (await response.json()) as GraphqlResponse<T>;
    } catch {
      throw new GraphqlError(`the server answered ${response.status} without a GraphQL result`, 'HTTP');
    }
    if (body.errors?.length) throw errorOf(body.errors);
    if (!body.data) throw new GraphqlError(`the server answered ${response.status} without data`, 'HTTP');
    return body.data;
  }

  /** Subscribes; returns the function that ends the subscription. */
  subscribe<T>(
    query: string,
    variables: Record<string, unknown>,
    onData: (data: T) => void,
    onError: (error: GraphqlError) => void,
  ): () => void {
    return this.ws.subscribe<T>(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length)
            onError(errorOf(result.errors as NonNullable<GraphqlResponse<T>['errors']>));
          else if (result.data) onData(result.data as T);
        },
        error: (error) => onError(wsError(error)),
        complete: () => undefined,
      },
    );
  }

  /**
   * Opens a new live connection, with the credentials as they are now. The server ends a
   * connection when the token it was opened with expires (4401, which graphql-ws does not retry),
   * so after a renewal the page reconnects at once; the subscriptions follow and start again with a
   * snapshot.
   */
  reconnect(): void {
    this.ws.terminate();
  }

  dispose(): void {
    void this.ws.dispose();
  }
}

/** graphql-ws reports a list of GraphQL errors, a close event, or an Error. */
function wsError(error: unknown): GraphqlError {
  if (Array.isArray(error)) return errorOf(error as NonNullable<GraphqlResponse<unknown>['errors']>);
  if (error && typeof error === 'object' && 'code' in error && 'reason' in error) {
    const close = error as { code: number; reason: string };
    return new GraphqlError(
      `the live connection closed (${close.code}${close.reason ? `: ${close.reason}` : ''})`,
      'CLOSED',
    );
  }
  return new GraphqlError(error instanceof Error ? error.message : 'the live connection failed', 'NETWORK');
}
