import type { Page } from 'playwright-core';
import { describe, expect, it } from '@jest/globals';
import { focusedId, hasFocus, overflowsWidth, screenshot, taskRow, unnamedControls } from './browser';
import { tasklistInChromium } from './tasklist-in-chromium';

/**
 * The task detail's history, comments, delegation and edits, and the closed tasks, in a real browser
 * against the built application: each user in a browser context of their own, watching each other's
 * changes arrive without a reload.
 */
describe('web tasklist task detail', () => {
  const session = tasklistInChromium('detail-failed');

  /** A task of the application `billing` for the group `accounting`. */
  const createTask = (id: string, name: string) =>
    session.app.command('CreateTask', {
      id,
      name,
      taskDefinitionKey: 'check-payment',
      sourceReference: {
        type: 'generic',
        instanceId: `payment-${id}`,
        definitionId: 'payments',
        definitionKey: 'payments',
        name: 'Payments',
        applicationName: 'billing',
      },
      priority: 20,
      candidateGroups: ['accounting'],
    });

  /** Opens the task's detail from the All tasks tab. */
  async function openTask(page: Page, name: string): Promise<void> {
    await page.getByRole('tab', { name: /All tasks/ }).click();
    await taskRow(page, name).click();
    await page.getByRole('heading', { name, level: 2 }).waitFor();
  }

  const history = (page: Page, name: string) => page.getByRole('list', { name: `History of ${name}` });

  it('shows in the history, live, a claim made by another user', async () => {
    await createTask('pay-1', 'Check payment 1');
    const [alice, bob] = await Promise.all([
      session.openAs('alice', 'accounting'),
      session.openAs('bob', 'accounting'),
    ]);
    await openTask(bob, 'Check payment 1');
    await history(bob, 'Check payment 1').getByText('billing-app created the task').waitFor();

    await openTask(alice, 'Check payment 1');
    await alice.getByRole('button', { name: 'Claim' }).click();
    await alice.getByTestId('assignee').filter({ hasText: 'alice' }).waitFor();

    // Bob's open detail follows: the assignee and the claim in the history, who made it and what it set.
    await bob.getByTestId('assignee').filter({ hasText: 'alice' }).waitFor();
    const claim = history(bob, 'Check payment 1')
      .getByRole('listitem')
      .filter({ hasText: 'claimed the task' });
    await claim.waitFor();
    expect(await claim.textContent()).toMatch(/alice claimed the task \(assignee: alice\)/);
    await screenshot(bob, 'detail-history');
  });

  it('shows a comment of one user in another user’s open page, with the limit and the server’s refusal', async () => {
    await createTask('pay-2', 'Check payment 2');
    const [alice, bob] = await Promise.all([
      session.openAs('alice', 'accounting'),
      session.openAs('bob', 'accounting'),
    ]);
    await Promise.all([openTask(alice, 'Check payment 2'), openTask(bob, 'Check payment 2')]);
    await alice.getByText('0 of at most 4000 characters, plain text.').waitFor();

    await alice.getByLabel('Add a comment').fill('The bank confirmed the transfer.');
    await alice.getByText('32 of at most 4000 characters').waitFor();
    await alice.getByRole('button', { name: 'Add comment' }).click();
    const comments = (page: Page) => page.getByRole('list', { name: 'Comments on Check payment 2' });
    await comments(alice).getByText('The bank confirmed the transfer.').waitFor();
    expect(await alice.getByLabel('Add a comment').inputValue()).toBe('');

    // Bob did nothing: the comment arrives in his open detail, and in the history.
    await comments(bob).getByText('The bank confirmed the transfer.').waitFor();
    expect(await comments(bob).getByRole('listitem').textContent()).toContain('alice');
    await history(bob, 'Check payment 2')
      .getByText(/alice commented: “The bank confirmed the transfer.”/)
      .waitFor();
    await screenshot(bob, 'detail-comments');

    // A blank comment is the server's to refuse; the page says what it answered.
    await bob.getByLabel('Add a comment').fill('   ');
    await bob.getByRole('button', { name: 'Add comment' }).click();
    const refused = bob.getByRole('alert').filter({ hasText: 'Comment failed' });
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/text/);
    expect(await comments(bob).getByRole('listitem').count()).toBe(1);
  });

  it('hands a task to another user, whose My tasks then holds it', async () => {
    await createTask('pay-3', 'Check payment 3');
    const [alice, bob] = await Promise.all([
      session.openAs('alice', 'accounting'),
      session.openAs('bob', 'accounting'),
    ]);
    await bob.getByRole('tab', { name: /My tasks/ }).click();
    await bob.getByTestId('count-mine').filter({ hasText: /^0$/ }).waitFor();

    await openTask(alice, 'Check payment 3');
    // Not hers yet, and alice holds no tasks:manage: nothing to hand on.
    expect(await alice.getByLabel('Assign to (user id)').count()).toBe(0);
    await alice.getByRole('button', { name: 'Claim' }).click();
    // Not a user id: the server names the field, the page says so and the task stays hers.
    await alice.getByLabel('Assign to (user id)').fill('bob and carol');
    await alice.getByRole('button', { name: 'Assign', exact: true }).click();
    const refused = alice.getByRole('alert').filter({ hasText: 'Assign failed' });
    await refused.waitFor();
    expect(await refused.textContent()).toContain('assignee');
    expect(await alice.getByTestId('assignee').textContent()).toBe('alice');
    await alice.getByLabel('Assign to (user id)').fill('bob');
    await alice.getByRole('button', { name: 'Assign', exact: true }).click();
    await alice.getByTestId('assignee').filter({ hasText: 'bob' }).waitFor();

    await taskRow(bob, 'Check payment 3').waitFor();
    await bob.getByTestId('count-mine').filter({ hasText: /^1$/ }).waitFor();
    await taskRow(bob, 'Check payment 3').click();
    await history(bob, 'Check payment 3')
      .getByText(/alice handed the task on \(assignee: bob\)/)
      .waitFor();
    await screenshot(bob, 'detail-delegated');
  });

  it('lets a task manager change the priority, which the lists show; a refused edit says why', async () => {
    await createTask('pay-4', 'Check payment 4');
    const [maria, bob] = await Promise.all([
      session.openAs('maria', 'accounting,task-managers'),
      session.openAs('bob', 'accounting'),
    ]);
    await bob.getByRole('tab', { name: /All tasks/ }).click();
    await taskRow(bob, 'Check payment 4').filter({ hasText: 'priority 20' }).waitFor();

    await openTask(maria, 'Check payment 4');
    await maria.getByText('Edit priority and dates').click();
    await maria.getByLabel('Priority (0 to 100)').fill('80');
    await maria.getByRole('button', { name: 'Save changes' }).click();
    await maria.getByTestId('priority').filter({ hasText: /^80$/ }).waitFor();
    await taskRow(maria, 'Check payment 4').filter({ hasText: 'priority 80' }).waitFor();
    // Bob's list follows without a reload.
    await taskRow(bob, 'Check payment 4').filter({ hasText: 'priority 80' }).waitFor();
    await screenshot(maria, 'detail-edited');

    // Bob holds no tasks:manage: the page offers him no edit.
    await openTask(bob, 'Check payment 4');
    expect(await bob.getByText('Edit priority and dates').count()).toBe(0);

    // Maria's permission is withdrawn while her page is open (her next request carries only her
    // other group): the server refuses the edit, and the page says so in its words.
    await maria.route('**/graphql', async (route) => {
      const request = route.request();
      const headers = { ...request.headers(), 'x-groups': 'accounting' };
      await route.continue({ headers });
    });
    await maria.getByLabel('Priority (0 to 100)').fill('5');
    await maria.getByRole('button', { name: 'Save changes' }).click();
    const refused = maria.getByRole('alert').filter({ hasText: 'Edit failed' });
    await refused.waitFor();
    expect(await refused.textContent()).toContain('needs the tasks:manage permission');
    expect(await maria.getByTestId('priority').textContent()).toBe('80');
    await screenshot(maria, 'detail-edit-forbidden');
  });

  it('lists the tasks done by the user, with their history', async () => {
    await createTask('pay-5', 'Check payment 5');
    const erin = await session.openAs('erin', 'accounting');
    await openTask(erin, 'Check payment 5');
    await erin.getByRole('button', { name: 'Claim' }).click();
    await erin.getByLabel('Variables to complete with (JSON object)').fill('{"paid": true}');
    await erin.getByRole('button', { name: 'Complete', exact: true }).click();
    await erin.getByRole('status').filter({ hasText: 'Completed Check payment 5.' }).waitFor();
    // The application behind the task completes it, as an engine would.
    await session.app.command('CompleteTask', { id: 'pay-5', assignee: 'erin' });

    await erin.getByRole('button', { name: 'Done', exact: true }).click();
    await erin.getByTestId('count-done').filter({ hasText: /^1$/ }).waitFor();
    const done = erin
      .getByRole('list', { name: 'Done by me' })
      .getByRole('article', { name: 'Check payment 5' });
    expect(await done.textContent()).toContain('by erin');
    await done.getByText('History of Check payment 5').click();
    const closedHistory = history(erin, 'Check payment 5');
    await closedHistory.getByText(/completed the task/).waitFor();
    expect(await closedHistory.textContent()).toContain('erin claimed the task');
    expect(await closedHistory.textContent()).toContain('erin asked to complete the task');
    await screenshot(erin, 'done-by-me');
  });

  it('works by keyboard at 360 px: every control named, nothing wider than the window', async () => {
    await createTask('pay-6', 'Check payment 6');
    const maria = await session.openAs('maria', 'accounting,task-managers', {
      viewport: { width: 360, height: 740 },
    });
    await openTask(maria, 'Check payment 6');
    await maria.getByRole('button', { name: 'Claim' }).click();
    await maria.getByTestId('assignee').filter({ hasText: 'maria' }).waitFor();

    // The edit disclosure opens from the keyboard, and its first field takes the focus next.
    await maria.getByText('Edit priority and dates').focus();
    await maria.keyboard.press('Enter');
    await maria.keyboard.press('Tab');
    expect(await focusedId(maria)).toBe('edit-priority');
    await maria.keyboard.type('60');
    await maria.keyboard.press('Enter');
    await maria.getByTestId('priority').filter({ hasText: /^60$/ }).waitFor();

    // A comment typed and sent without the mouse.
    await maria.getByLabel('Add a comment').focus();
    await maria.keyboard.type('Checked by phone.');
    await maria.keyboard.press('Tab');
    expect(await hasFocus(maria.getByRole('button', { name: 'Add comment' }))).toBe(true);
    await maria.keyboard.press('Enter');
    await maria
      .getByRole('list', { name: 'Comments on Check payment 6' })
      .getByText('Checked by phone.')
      .waitFor();

    expect(await overflowsWidth(maria)).toBe(false);
    expect(await unnamedControls(maria)).toEqual([]);
    await screenshot(maria, 'narrow-task-detail-edits');

    await maria.getByRole('button', { name: 'Done', exact: true }).click();
    await maria.getByTestId('count-done').filter({ hasText: /^\d+$/ }).waitFor();
    expect(await overflowsWidth(maria)).toBe(false);
    expect(await unnamedControls(maria)).toEqual([]);
  });
});
