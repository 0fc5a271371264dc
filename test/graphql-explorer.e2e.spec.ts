import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TasklistHarness } from './support/tasklist-harness';

/** The GraphQL explorer: GraphiQL for a browser's GET of the GraphQL path, from npm files served here. */
describe('GraphQL explorer (GET /graphql from a browser)', () => {
  let harness: TasklistHarness;
  const browserGet = (path: string) =>
    fetch(`${harness.url}${path}`, {
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    });

  beforeAll(async () => {
    harness = await TasklistHarness.start();
  });
  afterAll(() => harness.close());

  it("answers a browser's GET with the explorer's page instead of a CSRF error", async () => {
    const response = await browserGet('/graphql');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain('<title>Eddy GraphQL explorer</title>');
    // Every script and style sheet comes from this server: none from a CDN, no inline script.
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(sources.length).toBeGreaterThanOrEqual(6);
    for (const source of sources) expect(source).toMatch(/^\/graphql-explorer\/[a-z-]+\.(js|css)$/);
    expect(html).not.toMatch(/<script>(?!<\/script>)/);
  });

  it('serves each file the page loads, GraphiQL and React from their npm packages', async () => {
    const html = await (await browserGet('/graphql')).text();
    const sources = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    for (const source of sources) {
      const response = await fetch(`${harness.url}${source}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(
        source.endsWith('.js') ? /^text\/javascript/ : /^text\/css/,
      );
      const body = await response.text();
      if (source.endsWith('graphiql.js')) expect(body).toContain('window.GraphiQL');
      if (source.endsWith('explorer.js')) expect(body).toContain('connectionParams: headers');
    }
    expect((await fetch(`${harness.url}/graphql-explorer/package.json`)).status).toBe(404);
  });

  it('leaves authentication to the API: what the explorer sends without an identity is refused', async () => {
    const anonymous = await fetch(`${harness.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ query: '{ tasks { totalCount } }' }),
    });
    expect(anonymous.status).toBe(401);
    const signedIn = await harness.graphql(
      '{ tasks { totalCount } }',
      {},
      await harness.as('alice', ['accounting']),
    );
    expect(signedIn.errors).toBeUndefined();
  });

  it('still answers a GET without a browser as GraphQL over HTTP does', async () => {
    const response = await fetch(`${harness.url}/graphql?query=%7B__typename%7D`, {
      headers: { accept: 'application/json' },
    });
    expect(response.headers.get('content-type')).toMatch(/json/);
  });
});
