import { aCreateTaskCommand } from '@eddy/testing/command.fixtures';
import { mongoTestDatabases } from '@eddy/testing/mongo-test-databases';
import { requireServer } from '@eddy/testing/servers';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gql } from './helpers/graphql';
import { EddyProcess } from './support/eddy-process';

// The application as a process of its own in front of a TCP relay to the MongoDB server of the
// real-server tier: cutting the relay is an outage of this application's MongoDB only, so the other
// specs on the server go on.
const mongo = mongoTestDatabases('eddy_readiness');

/** Forwards one local port to the MongoDB server; {@link cut} drops every connection and refuses new ones. */
class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const [socket, other] of [
        [client, upstream],
        [upstream, client],
      ]) {
        this.sockets.add(socket);
        // One side gone ends the other too, as a dropped connection does.
        socket.on('close', () => {
          this.sockets.delete(socket);
          other.destroy();
        });
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

describe('readiness with the MongoDB view store', () => {
  jest.setTimeout(300_000);

  const target = new URL(requireServer('mongo').url);
  const relay = new Relay({ host: target.hostname, port: Number(target.port || 27017) });
  const dir = mkdtempSync(join(tmpdir(), 'eddy-readiness-'));
  const clerk = { id: 'carl', groups: ['claims'] };
  let eddy: EddyProcess;

  const readiness = async () => {
    const answer = await fetch(`${eddy.url}/health/ready`);
    const body = (await answer.json()) as { checks: { name: string; ready: boolean }[] };
    return { status: answer.status, viewStore: body.checks.find((c) => c.name === 'view-store')?.ready };
  };
  /** Polls readiness (an HTTP probe, as a platform's would) until it answers `status`. */
  const until = async (status: number) => {
    const deadline = Date.now() + 120_000;
    let last = await readiness();
    while (last.status !== status) {
      if (Date.now() > deadline) throw new Error(`readiness stayed ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 250));
      last = await readiness();
    }
    return last;
  };

  beforeAll(async () => {
    await relay.open();
    eddy = await new EddyProcess('eddy', {
      EDDY_AUTH_MODE: 'dev',
      EDDY_EVENT_STORE: 'sqlite',
      EDDY_DATA_DIR: join(dir, 'data'),
      EDDY_BPMN_DIR: join(dir, 'bpmn'),
      EDDY_ENGINE: 'none',
      EDDY_VIEW_STORE: 'mongodb',
      EDDY_MONGODB_URL: `mongodb://127.0.0.1:${relay.port}/?directConnection=true`,
      EDDY_MONGODB_DATABASE: mongo.fresh(),
      // Generous: the claim at the end must not fail on a slow, shared machine.
      EDDY_READ_YOUR_WRITES_TIMEOUT_MS: '60000',
    }).start();
  });
  afterAll(async () => {
    await eddy?.stop();
    await relay.cut();
    rmSync(dir, { recursive: true, force: true });
  });

  it('goes down while MongoDB does not answer and recovers by itself, with the views going on', async () => {
    expect(await until(200)).toEqual({ status: 200, viewStore: true });

    await relay.cut();
    expect(await until(503)).toEqual({ status: 503, viewStore: false });

    await relay.open();
    expect(await until(200)).toEqual({ status: 200, viewStore: true });

    // The projections went on: a task created now reaches the MongoDB view, and a claim answers
    // with its own change.
    const answer = await fetch(`${eddy.url}/api/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'app', 'x-groups': 'process-applications' },
      body: JSON.stringify({
        commands: [aCreateTaskCommand('c-1', 'task-1', { candidateGroups: ['claims'] })],
      }),
    });
    expect(answer.status).toBe(200);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const found = await gql<{ tasks: { totalCount: number } }>(eddy.url, clerk, '{ tasks { totalCount } }');
      if (found.data?.tasks.totalCount === 1) break;
      if (Date.now() > deadline) throw new Error(`the task did not reach the view: ${JSON.stringify(found)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const claimed = await gql<{ claimTask: { assignee: string } }>(
      eddy.url,
      clerk,
      'mutation { claimTask(id: "task-1") { assignee } }',
    );
    expect(claimed).toEqual({ data: { claimTask: { assignee: 'carl' } } });
  });
});
