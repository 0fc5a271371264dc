import type { Page } from 'playwright-core';
import { describe, expect, it } from '@jest/globals';
import { onTestFailed, pickDevIdentity, screenshot } from './browser';
import { tasklistInChromium } from './tasklist-in-chromium';

/** The values of the page's CodeMirror editors (GraphiQL's query, variables, headers and response). */
const EDITOR_VALUES = `[...document.querySelectorAll('.CodeMirror')].map((e) => e.CodeMirror.getValue())`;

/**
 * The GraphQL explorer in a real browser against the built application: GraphiQL loads from the
 * server alone and queries with the identity the web tasklist holds in the tab.
 */
describe('GraphQL explorer', () => {
  const session = tasklistInChromium();

  async function run(page: Page, query: string, expected: RegExp): Promise<string> {
    await page.evaluate(
      `document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(${JSON.stringify(query)})`,
    );
    await page.getByRole('button', { name: /Execute query/ }).click();
    const response = page.locator('.graphiql-response .CodeMirror');
    await response.filter({ hasText: expected }).waitFor();
    return (await page.evaluate(
      `document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()`,
    )) as string;
  }

  it('runs queries and subscriptions as the user the tasklist tab works as, fetching nothing elsewhere', async () => {
    const context = await session.browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    onTestFailed(() => screenshot(page, 'failed-graphql-explorer'));
    const origins = new Set<string>();
    page.on('request', (request) => origins.add(new URL(request.url()).origin));

    await page.goto(`${session.app.url}/tasklist/`);
    await pickDevIdentity(page, 'carol', 'clerks');

    await page.goto(`${session.app.url}/graphql`);
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
    const editors = (await page.evaluate(EDITOR_VALUES)) as string[];
    expect(
      editors.some((value) => /"x-user": "carol"/.test(value) && /"x-groups": "clerks"/.test(value)),
    ).toBe(true);

    const answer = JSON.parse(await run(page, '{ startableProcesses { key } }', /"data"/));
    expect(answer.data.startableProcesses.map((p: { key: string }) => p.key)).toContain('invoice-approval');
    const live = await run(page, 'subscription { taskChanges { kind } }', /SNAPSHOT/);
    expect(JSON.parse(live).data.taskChanges.kind).toBe('SNAPSHOT');
    await screenshot(page, 'graphql-explorer');

    expect([...origins]).toEqual([new URL(session.app.url).origin]);
    await context.close();
  });

  it('leaves a tab without an identity to the API, which refuses its queries', async () => {
    const context = await session.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${session.app.url}/graphql`);
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor();
    const answer = JSON.parse(await run(page, '{ tasks { totalCount } }', /errors/));
    expect(answer.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    await context.close();
  });
});
