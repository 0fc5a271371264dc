import type { Page } from 'playwright-core';
import { describe, expect, it } from '@jest/globals';
import {
  focusedId,
  hasFocus,
  layoutShift,
  overflowsWidth,
  screenshot,
  taskRow,
  unnamedControls,
} from './browser';
import { tasklistInChromium } from './tasklist-in-chromium';

/**
 * The web tasklist in a real browser against the built application: three users in three browser
 * contexts (each its own session storage, so its own identity) work one invoice approval.
 */
describe('web tasklist', () => {
  const session = tasklistInChromium();

  const count = (page: Page, tab: 'mine' | 'group' | 'all', n: number) =>
    page
      .getByTestId(`count-${tab}`)
      .filter({ hasText: new RegExp(`^${n}$`) })
      .waitFor();

  it('serves the page at /tasklist and redirects / there', async () => {
    const root = await fetch(session.app.url, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/tasklist/');
    const page = await fetch(`${session.app.url}/tasklist/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
  });

  it('a started process shows live in other users’ lists; claim, a lost claim race, complete, the next task', async () => {
    const alice = await session.openAs('alice', 'accounting', { shot: 'identity-picker' });
    const bob = await session.openAs('bob', 'accounting');
    const carol = await session.openAs('carol', 'clerks');
    await Promise.all([count(alice, 'group', 0), count(bob, 'group', 0), count(carol, 'mine', 0)]);

    // Carol starts an invoice approval from the page.
    await carol.getByRole('button', { name: 'Start a process' }).click();
    await carol.getByLabel('Process', { exact: true }).selectOption({ label: 'Invoice approval' });
    // The start form (bpmn/forms/invoice-start.form), rendered by form-js.
    await carol.getByLabel('Invoice number').fill('INV-7');
    await carol.getByLabel('Supplier').fill('ACME');
    await carol.getByLabel('Amount').fill('1200');
    await carol.getByLabel('Submitted by (user)').fill('carol');
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

    // Alice sends it back for clarification through the review form; form-js checks it first.
    await alice.getByText('From ACME, over 1200.').waitFor();
    await alice.getByRole('button', { name: 'Complete', exact: true }).click();
    await alice.getByRole('alert').filter({ hasText: 'One field does not hold a valid value' }).waitFor();
    await screenshot(alice, 'task-form-invalid');
    expect(await alice.getByTestId('assignee').textContent()).toBe('alice');
    await alice.getByLabel('Comment for the submitter').fill('Which order is this for?');
    await screenshot(alice, 'task-form');
    await alice.getByRole('button', { name: 'Complete', exact: true }).click();
    await alice.getByRole('status').filter({ hasText: 'Completed Review invoice.' }).waitFor();
    await count(alice, 'mine', 0);

    await carol.getByRole('button', { name: 'Tasks', exact: true }).click();
    await carol.getByRole('tab', { name: /My tasks/ }).click();
    await taskRow(carol, 'Clarify invoice').waitFor();
    await count(carol, 'mine', 1);
    await taskRow(carol, 'Clarify invoice').click();
    await carol.getByText('The reviewer wrote: Which order is this for?').waitFor();
    await screenshot(carol, 'next-task');
  });

  it('sorts, filters, defers and undefers', async () => {
    const source = (n: number) => ({
      type: 'generic',
      instanceId: `call-${n}`,
      definitionId: 'callbacks',
      definitionKey: 'callbacks',
      name: 'Call-backs',
      applicationName: 'crm',
    });
    for (const [n, priority] of [
      [1, 10],
      [2, 90],
      [3, 50],
    ]) {
      await session.app.command('CreateTask', {
        id: `call-${n}`,
        name: `Call back customer ${n}`,
        taskDefinitionKey: 'call-back',
        sourceReference: source(n),
        priority,
        candidateUsers: ['dave'],
      });
    }
    const dave = await session.openAs('dave', 'assessors');
    await dave.getByRole('tab', { name: /All tasks/ }).click();
    await count(dave, 'all', 3);

    await dave.getByLabel('Sort by').selectOption('PRIORITY');
    await dave.getByLabel('Order').selectOption('DESC');
    const names = dave.getByRole('list', { name: 'All tasks' }).getByRole('button');
    await names.first().filter({ hasText: 'Call back customer 2' }).waitFor();
    expect(await names.allTextContents()).toEqual([
      expect.stringContaining('customer 2'),
      expect.stringContaining('customer 3'),
      expect.stringContaining('customer 1'),
    ]);

    await dave.getByText('Filters', { exact: true }).click();
    await dave.getByLabel('Priority from').fill('40');
    await dave.getByRole('button', { name: 'Apply filters' }).click();
    await count(dave, 'all', 2);
    await screenshot(dave, 'filtered');

    // Deferred to tomorrow, the task leaves the list until deferred tasks are included.
    await taskRow(dave, 'Call back customer 3').click();
    await dave.getByRole('button', { name: 'Defer', exact: true }).click();
    await count(dave, 'all', 1);
    await dave.getByLabel('Include deferred tasks').check();
    await dave.getByRole('button', { name: 'Apply filters' }).click();
    await count(dave, 'all', 2);
    await taskRow(dave, 'Call back customer 3').filter({ hasText: 'deferred' }).waitFor();
    await dave.getByRole('button', { name: 'Undefer' }).click();
    await dave.getByText('(deferred)').waitFor({ state: 'detached' });
    await taskRow(dave, 'Call back customer 3').filter({ hasNotText: 'deferred' }).waitFor();

    // A filter that cannot hold names its field and changes nothing.
    await dave.getByLabel('Priority from').fill('60');
    await dave.getByLabel('Priority to').fill('20');
    await dave.getByRole('button', { name: 'Apply filters' }).click();
    await dave.getByRole('alert').filter({ hasText: 'priorityMax' }).waitFor();
    await count(dave, 'all', 2);
  });

  it('pages forward and back through more tasks than a page, live, with counts that follow other users', async () => {
    const name = (n: number) => `Page task ${String(n).padStart(2, '0')}`;
    const pagerTask = (n: number) => ({
      id: `page-${n}`,
      name: name(n),
      taskDefinitionKey: 'page-task',
      sourceReference: {
        type: 'generic',
        instanceId: `page-${n}`,
        definitionId: 'pages',
        definitionKey: 'pages',
        name: 'Pages',
        applicationName: 'crm',
      },
      priority: n,
      candidateGroups: ['pagers'],
    });
    // Created in the reverse of their priority: the first row tells the page sorts by priority.
    for (let n = 30; n >= 1; n--) await session.app.command('CreateTask', pagerTask(n));
    const gina = await session.openAs('gina', 'pagers');
    const hank = await session.openAs('hank', 'pagers');
    await Promise.all([count(gina, 'group', 30), count(hank, 'mine', 0)]);
    await gina.getByLabel('Sort by').selectOption('PRIORITY');
    const rows = gina.getByRole('list', { name: 'Group tasks' }).getByRole('button');
    const pager = gina.getByRole('navigation', { name: 'Group tasks pages' });
    const firstRowIs = (n: number) =>
      rows
        .first()
        .filter({ hasText: name(n) })
        .waitFor();
    await firstRowIs(1);
    expect(await rows.count()).toBe(25);
    await pager.getByText('Page 1 of 2').waitFor();

    await pager.getByRole('button', { name: 'Next page' }).click();
    await pager.getByText('Page 2 of 2').waitFor();
    await firstRowIs(26);
    expect((await rows.allTextContents()).map((t) => t.slice(0, name(1).length))).toEqual(
      [26, 27, 28, 29, 30].map(name),
    );
    expect(await pager.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);

    // Hank claims a task of the page Gina looks at: it leaves her page and her count, and joins his.
    const claim = await fetch(`${session.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'hank', 'x-groups': 'pagers' },
      body: JSON.stringify({ query: 'mutation { claimTask(id: "page-27") { assignee } }' }),
    });
    expect(await claim.json()).toEqual({ data: { claimTask: { assignee: 'hank' } } });
    await Promise.all([count(gina, 'group', 29), count(gina, 'all', 30), count(hank, 'mine', 1)]);
    await taskRow(gina, name(27)).waitFor({ state: 'detached' });
    expect(await rows.count()).toBe(4);

    // A new task sorting into this page shows on it, and in the count.
    await session.app.command('CreateTask', pagerTask(31));
    await Promise.all([taskRow(gina, name(31)).waitFor(), count(gina, 'group', 30)]);
    await screenshot(gina, 'second-page');

    await pager.getByRole('button', { name: 'Previous page' }).click();
    await pager.getByText('Page 1 of 2').waitFor();
    await firstRowIs(1);
    expect(await rows.count()).toBe(25);
  });

  it('shows data entries live, with their state and protocol', async () => {
    const entry = (state: string, processingType: string, log: string) => ({
      entryType: 'invoice',
      entryId: 'INV-9',
      type: 'Invoice',
      name: 'Invoice INV-9',
      applicationName: 'billing',
      state: { processingType, state },
      payload: { amount: 300 },
      authorizations: [{ kind: 'ADD_GROUP', principal: 'accounting' }],
      modification: { username: 'billing-app', log },
    });
    const erin = await session.openAs('erin', 'accounting');
    await erin.getByRole('button', { name: 'Data entries' }).click();
    await erin.getByTestId('count-entries').filter({ hasText: /^\d+$/ }).waitFor();
    await session.app.command('CreateOrUpdateDataEntry', entry('In review', 'IN_PROGRESS', 'Received'));
    const row = erin
      .getByRole('list', { name: 'Data entries' })
      .getByRole('button', { name: /Invoice INV-9/ });
    await row.waitFor();
    await row.click();
    await erin.getByTestId('entry-state').filter({ hasText: 'IN_PROGRESS · In review' }).waitFor();
    await erin
      .getByRole('list', { name: 'Protocol of Invoice INV-9' })
      .getByText(/Received/)
      .waitFor();

    await session.app.command('CreateOrUpdateDataEntry', entry('Paid', 'COMPLETED', 'Paid in full'));
    await erin.getByTestId('entry-state').filter({ hasText: 'COMPLETED · Paid' }).waitFor();
    await erin
      .getByRole('list', { name: 'Protocol of Invoice INV-9' })
      .getByText(/Paid in full/)
      .waitFor();
    await screenshot(erin, 'data-entry');
  });

  it('works by keyboard, names every control, fits 360 px and does not shift when a change arrives', async () => {
    const task = (n: number) => ({
      id: `letter-${n}`,
      name: `Answer letter ${n}`,
      taskDefinitionKey: 'answer-letter',
      sourceReference: {
        type: 'generic',
        instanceId: `letter-${n}`,
        definitionId: 'letters',
        definitionKey: 'letters',
        name: 'Letters',
        applicationName: 'crm',
      },
      candidateUsers: ['frank'],
    });
    await session.app.command('CreateTask', task(1));
    const frank = await session.openAs('frank', 'clerks', { viewport: { width: 360, height: 740 } });
    await count(frank, 'group', 1);
    expect(await overflowsWidth(frank)).toBe(false);
    expect(await unnamedControls(frank)).toEqual([]);

    // Keyboard only: from the tabs (arrow keys move between them) to a row, Enter opens it.
    await frank.getByRole('tab', { name: /Group tasks/ }).focus();
    await frank.keyboard.press('ArrowRight');
    await frank.getByRole('tab', { name: /All tasks/, selected: true }).waitFor();
    expect(await focusedId(frank)).toBe('tab-all');
    for (let i = 0; i < 20 && !(await hasFocus(taskRow(frank, 'Answer letter 1'))); i++) {
      await frank.keyboard.press('Tab');
    }
    await frank.keyboard.press('Enter');
    await frank.getByRole('heading', { name: 'Answer letter 1' }).waitFor();
    await frank.getByRole('button', { name: 'Claim' }).focus();
    await frank.keyboard.press('Enter');
    await frank.getByTestId('assignee').filter({ hasText: 'frank' }).waitFor();
    expect(await overflowsWidth(frank)).toBe(false);
    expect(await unnamedControls(frank)).toEqual([]);
    await screenshot(frank, 'narrow-task-detail');
    await frank.getByRole('button', { name: 'Close task' }).press('Enter');

    // A live change adds a row below the others: nothing on the page moves.
    const before = await layoutShift(frank);
    await session.app.command('CreateTask', task(2));
    await taskRow(frank, 'Answer letter 2').waitFor();
    await count(frank, 'all', 2);
    expect((await layoutShift(frank)) - before).toBe(0);
    await screenshot(frank, 'narrow-task-list');

    for (const view of ['Data entries', 'Start a process']) {
      await frank.getByRole('button', { name: view }).click();
      await frank
        .getByRole('heading', { name: view === 'Data entries' ? /Data entries/ : 'Start a process' })
        .waitFor();
      expect({ view, overflows: await overflowsWidth(frank) }).toEqual({ view, overflows: false });
      expect({ view, unnamed: await unnamedControls(frank) }).toEqual({ view, unnamed: [] });
    }
  });

  it('searches by relevance, saves the filter under a name, shows it again after a reload and deletes it', async () => {
    const task = (n: number, name: string, description?: string) => ({
      id: `supplier-${n}`,
      name,
      description,
      taskDefinitionKey: 'supplier-check',
      sourceReference: {
        type: 'generic',
        instanceId: `supplier-${n}`,
        definitionId: 'suppliers',
        definitionKey: 'suppliers',
        name: 'Suppliers',
        applicationName: 'purchasing',
      },
      candidateUsers: ['gina'],
    });
    await session.app.command('CreateTask', task(1, 'Check supplier Schmidt'));
    await session.app.command('CreateTask', task(2, 'Pay supplier', 'Invoice of Müller GmbH'));
    await session.app.command('CreateTask', task(3, 'Check supplier Müller'));
    const gina = await session.openAs('gina', 'buyers');
    await gina.getByRole('tab', { name: /All tasks/ }).click();
    await count(gina, 'all', 3);
    const names = gina.getByRole('list', { name: 'All tasks' }).getByRole('button');

    // Accents and case do not count; a match in the name ranks before one in the description.
    await gina.getByRole('searchbox', { name: 'Search' }).fill('muller');
    await gina.getByRole('button', { name: 'Search', exact: true }).click();
    await count(gina, 'all', 2);
    expect(await gina.getByLabel('Sort by').inputValue()).toBe('RELEVANCE');
    await names.first().filter({ hasText: 'Check supplier Müller' }).waitFor();
    expect(await names.allTextContents()).toEqual([
      expect.stringContaining('Check supplier Müller'),
      expect.stringContaining('Pay supplier'),
    ]);

    await gina.getByLabel('Save the current filter as').fill('Müller’s tasks');
    await gina.getByRole('button', { name: 'Save filter' }).click();
    await gina.getByRole('status').filter({ hasText: 'Saved as “Müller’s tasks”.' }).waitFor();

    // After a reload the lists start unfiltered; the saved filter brings its search and order back.
    await gina.reload();
    await gina.getByRole('tab', { name: /All tasks/ }).click();
    await count(gina, 'all', 3);
    await gina.getByLabel('Saved filter', { exact: true }).selectOption({ label: 'Müller’s tasks' });
    await count(gina, 'all', 2);
    expect(await gina.getByRole('searchbox', { name: 'Search' }).inputValue()).toBe('muller');
    expect(await gina.getByLabel('Sort by').inputValue()).toBe('RELEVANCE');
    expect(await unnamedControls(gina)).toEqual([]);

    await gina.getByRole('button', { name: 'Delete saved filter' }).click();
    await gina.getByRole('status').filter({ hasText: 'Deleted “Müller’s tasks”.' }).waitFor();
    expect(
      await gina.getByLabel('Saved filter', { exact: true }).locator('option').allTextContents(),
    ).toEqual(['None saved']);
  });
});
