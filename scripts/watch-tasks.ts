/**
 * Prints a user's live task list as the tasklist pushes it (development identity mode):
 *   npm run watch-tasks -- <user> [comma,separated,groups]
 * EDDY_URL chooses the server (default http://localhost:4000).
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [user, groups = ''] = process.argv.slice(2);
if (!user) {
  console.error('usage: npm run watch-tasks -- <user> [groups]');
  process.exit(2);
}
const base = process.env.EDDY_URL ?? 'http://localhost:4000';
const client = createClient({
  url: `${base.replace(/^http/, 'ws')}/graphql`,
  webSocketImpl: WebSocket,
  connectionParams: { 'x-user': user, 'x-groups': groups },
  retryAttempts: 0,
});

interface Change {
  taskChanges: {
    kind: string;
    position: string;
    removedIds: string[];
    tasks: { id: string; name: string; assignee: string | null; processName: string | null }[];
  };
}

console.log(`watching the tasks of ${user} (${groups || 'no groups'}) on ${base} ... Ctrl+C to stop`);
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
      console.error('subscription failed:', error);
      process.exit(1);
    },
    complete: () => process.exit(0),
  },
);
