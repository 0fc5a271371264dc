/**
 * Prints a user's live task list as the tasklist pushes it:
 *   npm run watch-tasks -- <user> [comma,separated,groups]     (development identity mode)
 *   EDDY_WATCH_TOKEN=<JWT> npm run watch-tasks                  (jwt mode: the token names the user)
 * EDDY_URL chooses the server (default http://localhost:4000).
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [user, groups = ''] = process.argv.slice(2);
const token = process.env.EDDY_WATCH_TOKEN;
if (!user && !token) {
  console.error(
    'usage: npm run watch-tasks -- <user> [groups], or EDDY_WATCH_TOKEN=<JWT> npm run watch-tasks',
  );
  process.exit(2);
}
const base = process.env.EDDY_URL ?? 'http://localhost:4000';
const client = createClient({
  url: `${base.replace(/^http/, 'ws')}/graphql`,
  webSocketImpl: WebSocket,
  connectionParams: token ? { Authorization: `Bearer ${token}` } : { 'x-user': user, 'x-groups': groups },
  retryAttempts: 0,
});

/** One line for whatever ended the subscription: a close of the socket, GraphQL errors, or an error. */
function describe(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && 'reason' in error) {
    const { code, reason } = error as { code: number; reason: string };
    return `connection closed (${code}${reason ? `: ${reason}` : ''})`;
  }
  if (Array.isArray(error)) return error.map((e: { message?: string }) => e.message ?? String(e)).join('; ');
  return error instanceof Error ? error.message : String(error);
}

interface Change {
  taskChanges: {
    kind: string;
    position: string;
    removedIds: string[];
    tasks: { id: string; name: string; assignee: string | null; processName: string | null }[];
  };
}

const who = token ? 'the token holder' : `${user} (${groups || 'no groups'})`;
console.log(`watching the tasks of ${who} on ${base} ... Ctrl+C to stop`);
client.subscribe<Change>(
  {
    query: `subscription { taskChanges { kind position removedIds tasks { id name assignee processName } } }`,
  },
  {
    next: ({ data }) => {
      const change = data!.taskChanges;
      const line = (t: Change['taskChanges']['tasks'][number]) =>
        `  ${t.id}  ${t.name}  (${t.processName ?? '-'})  assignee: ${t.assignee ?? '-'}`;
      console.log(`${change.kind} at position ${change.position}`);
      change.tasks.forEach((t) => console.log(line(t)));
      change.removedIds.forEach((id) => console.log(`  removed ${id}`));
    },
    error: (error) => {
      console.error(`subscription ended: ${describe(error)}`);
      process.exit(1);
    },
    complete: () => process.exit(0),
  },
);
