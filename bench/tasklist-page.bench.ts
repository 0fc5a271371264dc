/**
 * Web tasklist benchmark: `npm run bench -- tasklist-page` (after `npm run build`; needs Debian's
 * Chromium, as `npm run test:browser` does).
 *
 * The application as `npm start` runs it, and one user who sees N open tasks (N = 1,000 and 10,000).
 * Figures:
 * - first list: from choosing the user in the page (development identity mode) to the page showing
 *   the first rows of its list and every tab's count. Baseline in the same run: a graphql-ws client
 *   in this process opening the three subscriptions of the tabs (my, group and all tasks) with their
 *   whole snapshots, as the page did before it paged on the server, for the same user. And the page's
 *   first list with 10,000 visible tasks against its first list with 1,000.
 * - live change: from sending a `CreateTask` for that user to the page showing the new count.
 *   Baseline: the same change reaching the graphql-ws client's subscription, measured for the same
 *   commands at the same time.
 *
 * The browser, the application and this process share the machine's cores.
 */
import { createClient, type Client } from 'graphql-ws';
import type { Page } from 'playwright-core';
import WebSocket from 'ws';
import { TASK_CHANGES } from '../libs/tasklist/web/src/api/documents';
import { launchChromium } from '../test/browser/browser';
import { BuiltApp } from '../test/support/built-app';
import { now, percentile } from './lib/measure';
import { type BenchResult, compared } from './lib/report';
import type { BenchContext } from './lib/suite';

const SIZES = [1_000, 10_000];
const CHANGES = 20;
const BATCH = 500;
const USER = { id: 'bench-user', groups: ['bench-team'] };
const APPLICATION = { 'x-user': 'bench-app', 'x-groups': 'process-applications' };
/** The page's tabs (libs/tasklist/web/src/app.tsx), one subscription each. */
const TAB_FILTERS = [{ assignedToMe: true }, { unassigned: true }, {}];

let taskNumber = 0;

async function createTasks(app: BuiltApp, count: number): Promise<void> {
  for (let done = 0; done < count; done += BATCH) {
    const commands = Array.from({ length: Math.min(BATCH, count - done) }, () => {
      taskNumber += 1;
      return {
        type: 'CreateTask',
        commandId: `bench-create-${taskNumber}`,
        data: {
          id: `bench-task-${taskNumber}`,
          name: `Check invoice ${taskNumber}`,
          taskDefinitionKey: 'check-invoice',
          priority: taskNumber % 100,
          candidateUsers: [USER.id],
          sourceReference: {
            type: 'generic',
            instanceId: `invoice-${taskNumber}`,
            definitionId: 'invoices',
            definitionKey: 'invoices',
            name: 'Invoices',
            applicationName: 'billing',
          },
        },
      };
    });
    const answer = await fetch(`${app.url}/api/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...APPLICATION },
      body: JSON.stringify({ commands }),
    });
    const body = (await answer.json()) as { results?: { status: string }[] };
    const refused = body.results?.filter((r) => r.status !== 'accepted') ?? [body];
    if (refused.length > 0) throw new Error(`commands refused: ${JSON.stringify(refused[0])}`);
  }
}

/** The user's three subscriptions in this process: resolves once each delivered its snapshot. */
function apiClient(app: BuiltApp): {
  client: Client;
  snapshots: Promise<void>;
  onTask(id: string): Promise<void>;
} {
  const client = createClient({
    url: `${app.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { 'x-user': USER.id, 'x-groups': USER.groups.join(',') },
    retryAttempts: 0,
  });
  const waiting = new Map<string, () => void>();
  const snapshots = TAB_FILTERS.map(
    (filter) =>
      new Promise<void>((resolve, reject) => {
        client.subscribe<{ taskChanges: { kind: string; tasks: { id: string }[] } }>(
          { query: TASK_CHANGES, variables: { filter } },
          {
            next: ({ data }) => {
              if (data?.taskChanges.kind === 'SNAPSHOT') resolve();
              for (const task of data?.taskChanges.tasks ?? []) waiting.get(task.id)?.();
            },
            error: reject,
            complete: () => undefined,
          },
        );
      }),
  );
  return {
    client,
    snapshots: Promise.all(snapshots).then(() => undefined),
    onTask: (id) => new Promise<void>((resolve) => waiting.set(id, resolve)),
  };
}

const countShown = (page: Page, tab: string, n: number) =>
  page
    .getByTestId(`count-${tab}`)
    .filter({ hasText: new RegExp(`^${n}$`) })
    .waitFor({ timeout: 120_000 });

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const [app, browser] = await Promise.all([BuiltApp.start(), launchChromium()]);
  try {
    let visible = 0;
    const firstLists: number[] = [];
    for (const size of SIZES) {
      context.log(`creating ${size - visible} tasks`);
      await createTasks(app, size - visible);
      visible = size;

      // The same user through the API alone, then through the page.
      const apiStart = now();
      const api = apiClient(app);
      await api.snapshots;
      const apiMs = now() - apiStart;
      await api.client.dispose();

      const browserContext = await browser.newContext({ viewport: { width: 1200, height: 900 } });
      const page = await browserContext.newPage();
      await page.goto(app.url);
      await page.getByLabel('User', { exact: true }).fill(USER.id);
      await page.getByLabel('Groups (comma separated)').fill(USER.groups.join(','));
      const pageStart = now();
      await page.getByRole('button', { name: 'Work as this user' }).click();
      await Promise.all([
        countShown(page, 'group', size),
        countShown(page, 'all', size),
        page
          .getByRole('list', { name: 'Group tasks' })
          .getByRole('button')
          .first()
          .waitFor({ timeout: 120_000 }),
      ]);
      const pageMs = now() - pageStart;
      firstLists.push(pageMs);
      results.push(
        compared(`first list, ${size} visible tasks: page / API whole snapshots`, pageMs, 'ms', apiMs),
      );
      context.log(`first list with ${size}: page ${pageMs.toFixed(0)} ms, API ${apiMs.toFixed(0)} ms`);

      // Live changes: the page and a subscriber in this process see the same commands.
      const live = apiClient(app);
      await live.snapshots;
      const pageLatencies: number[] = [];
      const apiLatencies: number[] = [];
      for (let i = 0; i < CHANGES; i++) {
        const id = `bench-task-${taskNumber + 1}`;
        const seenByApi = live.onTask(id);
        const start = now();
        const shown = countShown(page, 'all', visible + 1).then(() => pageLatencies.push(now() - start));
        const heard = seenByApi.then(() => apiLatencies.push(now() - start));
        await createTasks(app, 1);
        visible += 1;
        await Promise.all([shown, heard]);
      }
      await live.client.dispose();
      await browserContext.close();
      for (const p of [50, 95]) {
        results.push(
          compared(
            `live change to another user's open page, ${size} visible tasks, p${p}: page / API subscriber`,
            percentile(pageLatencies, p),
            'ms',
            percentile(apiLatencies, p),
          ),
        );
      }
    }
    results.push(
      compared(
        `first list, ${SIZES[1]} / ${SIZES[0]} visible tasks: page / page`,
        firstLists[1],
        'ms',
        firstLists[0],
      ),
    );
  } finally {
    await browser.close();
    await app.stop();
  }
  return results;
}
