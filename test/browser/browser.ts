import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { FAILURE_HOOKS } from './failure-hooks.environment';

/** Debian's Chromium, which `.ci/run` installs; playwright-core brings no browser of its own. */
export const CHROMIUM = process.env.EDDY_TEST_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** Screenshots of the pages the tests visit (git-ignored), to look at after a run. */
export const SCREENSHOTS = resolve(__dirname, '..', '..', 'test-results', 'browser');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Runs `hook` if the current test fails (the browser tier's environment calls it). */
export function onTestFailed(hook: () => Promise<void>): void {
  const hooks = (globalThis as Record<string, unknown>)[FAILURE_HOOKS] as (() => Promise<void>)[] | undefined;
  hooks?.push(hook);
}

/** Signs a freshly opened page in through the development identity picker. */
export async function pickDevIdentity(page: Page, user: string, groups: string): Promise<void> {
  await page.getByLabel('User', { exact: true }).fill(user);
  await page.getByLabel('Groups (comma separated)').fill(groups);
  await page.getByRole('button', { name: 'Work as this user' }).click();
  await page.getByText(`Working as ${user}`).waitFor();
}

/** The row of the task list whose name starts with `name`. */
export function taskRow(page: Page, name: string): Locator {
  return page.getByRole('listitem').getByRole('button', { name: new RegExp(`^${name}`) });
}

/*
 * Page-side checks. They run in the browser, so they are written as script text: the tests are
 * compiled without the DOM's types.
 */

/** Adds up every layout shift of a page that no input caused (installed before the page loads). */
export const RECORD_LAYOUT_SHIFTS = `
  window.layoutShift = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.layoutShift += entry.value;
  }).observe({ type: 'layout-shift', buffered: true });
`;

/** The page's layout shift so far, once the browser has painted what it was given. */
export function layoutShift(page: Page): Promise<number> {
  return page.evaluate(
    'new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(window.layoutShift))))',
  ) as Promise<number>;
}

/** True when the page is wider than the window (it would scroll sideways). */
export function overflowsWidth(page: Page): Promise<boolean> {
  return page.evaluate(
    'document.documentElement.scrollWidth > document.documentElement.clientWidth',
  ) as Promise<boolean>;
}

export function hasFocus(locator: Locator): Promise<boolean> {
  type PageGlobals = { document: { activeElement: unknown } };
  return locator.evaluate(
    (element) => element === (globalThis as unknown as PageGlobals).document.activeElement,
  );
}

/** The id of the element that has the focus. */
export function focusedId(page: Page): Promise<string> {
  return page.evaluate('document.activeElement?.id ?? ""') as Promise<string>;
}

/** Controls the accessibility tree shows without a name (a screen reader could not say what they do). */
export async function unnamedControls(page: Page): Promise<string[]> {
  const tree = await page.locator('body').ariaSnapshot();
  return tree
    .split('\n')
    .filter((line) =>
      /^\s*- (button|link|textbox|combobox|checkbox|spinbutton|tab|radio)\b(?! ")/.test(line),
    );
}
