import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** A GraphQL request over HTTP as a development-mode user. */
export async function gql<T = Record<string, unknown>>(
  baseUrl: string,
  user: { id: string; groups: string[] },
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<{ data?: T; errors?: { message: string; extensions?: { code?: string } }[] }> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-user': user.id,
      'x-groups': user.groups.join(','),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: T; errors?: { message: string }[] };
}

/** A graphql-ws client of a development-mode user that does not retry. */
export function wsClient(baseUrl: string, user: { id: string; groups: string[] }): Client {
  return createClient({
    url: `${baseUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { 'x-user': user.id, 'x-groups': user.groups.join(',') },
    retryAttempts: 0,
    lazy: false,
  });
}

/** Collects the messages of one subscription and lets a test wait for the one it expects. */
export class SubscriptionRecorder<T> {
  readonly messages: T[] = [];
  private waiters: { predicate: (m: T) => boolean; resolve: (m: T) => void }[] = [];
  readonly dispose: () => void;
  error: unknown;

  constructor(client: Client, query: string, variables: Record<string, unknown> = {}) {
    this.dispose = client.subscribe<T>(
      { query, variables },
      {
        next: (value) => {
          const message = value.data as T;
          this.messages.push(message);
          this.waiters = this.waiters.filter((w) => {
            if (!w.predicate(message)) return true;
            w.resolve(message);
            return false;
          });
        },
        error: (error) => {
          this.error = error;
        },
        complete: () => undefined,
      },
    );
  }

  /** The first message (already received or still to come) that satisfies `predicate`. */
  next(predicate: (message: T) => boolean, timeoutMs = 15_000): Promise<T> {
    const seen = this.messages.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(this.messages)}`),
          ),
        timeoutMs,
      );
      this.waiters.push({
        predicate,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }
}
