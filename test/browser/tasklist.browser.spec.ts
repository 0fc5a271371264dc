import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuiltApp } from '../support/built-app';
import { launchChromium, screenshot } from './browser';

/**
 * The web tasklist in a real browser against the built application: three users in three browser
 * contexts (each its own session storage, so its own identity) work one invoice approval.
 */
describe('web tasklist', () => {
  let app: BuiltApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [app, browser] = await Promise.all([BuiltApp.start(), launchChromium()]);
  });

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await browser?.close();
    await app?.stop();
  });

  /** A page of its own browser context, signed in through the development identity picker. */
  async function openAs(user: string, groups: string, shot?: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(app.url);
    await page.getByRole('note').filter({ hasText: 'Development identity mode' }).waitFor();
    if (shot) await screenshot(page, shot);
    await page.getByLabel('User', { exact: true }).fill(user);
    await page.getByLabel('Groups (comma separated)').fill(groups);
    await page.getByRole('button', { name: 'Work as this user' }).click();
    await page.getByText(`Working as ${user}`).waitFor();
    return page;
  }

  const count = (page: Page, tab: 'mine' | 'group' | 'all', n: number) =>
    page
      .getByTestId(`count-${tab}`)
      .filter({ hasText: new RegExp(`^${n}$`) })
      .waitFor();

  const taskRow = (page: Page, name: string) =>
    page.getByRole('listitem').getByRole('button', { name: new RegExp(`^${name}`) });

  it('serves the page at /tasklist and redirects / there', async () => {
    const root = await fetch(app.url, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/tasklist/');
    const page = await fetch(`${app.url}/tasklist/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('a started process shows live in other users’ lists; claim, a lost claim race, complete, the next task', async () => {
    const alice = await openAs('alice', 'accounting', 'identity-picker');
    const bob = await openAs('bob', 'accounting');
    const carol = await openAs('carol', 'clerks');
    await Promise.all([count(alice, 'group', 0), count(bob, 'group', 0), count(carol, 'mine', 0)]);

    // Carol starts an invoice approval from the page.
    await carol.getByRole('button', { name: 'Start a process' }).click();
    await carol.getByLabel('Process', { exact: true }).selectOption({ label: 'Invoice approval' });
    await carol
      .getByLabel('Variables (JSON object)')
      .fill('{"invoiceNumber": "INV-7", "supplier": "ACME", "amount": 1200, "submitter": "carol"}');
    await screenshot(carol, 'start-process');
    await carol.getByRole('button', { name: 'Start process' }).click();
    await carol.getByRole('status').filter({ hasText: 'Started Invoice approval' }).waitFor();

    // The review task appears in Alice's and Bob's open pages, without a reload.
    await Promise.all([taskRow(alice, 'Review invoice').waitFor(), taskRow(bob, 'Review invoice').waitFor()]);
    await Promise.all([count(alice, 'group', 1), count(bob, 'all', 1)]);
    await screenshot(alice, 'group-tasks');

    await taskRow(alice, 'Review invoice').click();
    await taskRow(bob, 'Review invoice').click();
    await alice.getByRole('heading', { name: 'Review invoice' }).waitFor();
    await alice.getByText('Invoice INV-7 from ACME over 1200').first().waitFor();

    // Alice claims; Bob's claim a moment later loses and says why.
    await alice.getByRole('button', { name: 'Claim' }).click();
    await alice.getByTestId('assignee').filter({ hasText: 'alice' }).waitFor();
    await count(alice, 'mine', 1);
    await bob.getByRole('button', { name: 'Claim' }).click();
    const lost = bob.getByRole('alert').filter({ hasText: 'Claim failed' });
    await lost.waitFor();
    expect(await lost.textContent()).toContain('assigned to someone else');
    await screenshot(bob, 'claim-lost');
    await count(bob, 'group', 0);

    // Alice sends it back for clarification: the next task appears in Carol's list.
    await alice.getByLabel('Variables to complete with (JSON object)').fill('{"approved": false}');
    await screenshot(alice, 'task-detail');
    await alice.getByRole('button', { name: 'Complete', exact: true }).click();
    await alice.getByRole('status').filter({ hasText: 'Completed Review invoice.' }).waitFor();
    await count(alice, 'mine', 0);

    await carol.getByRole('button', { name: 'Tasks', exact: true }).click();
    await carol.getByRole('tab', { name: /My tasks/ }).click();
    await taskRow(carol, 'Clarify invoice').waitFor();
    await count(carol, 'mine', 1);
    await screenshot(carol, 'next-task');
  });
});
