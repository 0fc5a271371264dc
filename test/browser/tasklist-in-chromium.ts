import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll } from '@jest/globals';
import { BuiltApp } from '../support/built-app';
import { launchChromium, onTestFailed, pickDevIdentity, RECORD_LAYOUT_SHIFTS, screenshot } from './browser';

export interface OpenAsOptions {
  /** Default 1200 x 900. */
  viewport?: { width: number; height: number };
  /** A screenshot of the identity picker under this name, before the user is picked. */
  shot?: string;
}

/** The built application (development identity mode) and one Chromium, for the tests of a describe block. */
export interface TasklistInChromium {
  readonly app: BuiltApp;
  readonly browser: Browser;
  /**
   * A page of its own browser context (its own session storage, so its own identity), signed in through
   * the development identity picker; every layout shift of the page is recorded (`layoutShift`), and the
   * page is screenshotted as `<failedShots>-<user>` when the test fails.
   */
  openAs(user: string, groups: string, options?: OpenAsOptions): Promise<Page>;
}

/**
 * Starts the built application and Chromium before the describe block's tests (call it in the block)
 * and closes the pages' contexts, the browser and the application after them.
 */
export function tasklistInChromium(failedShots = 'failed'): TasklistInChromium {
  let app: BuiltApp | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [app, browser] = await Promise.all([BuiltApp.start(), launchChromium()]);
  });

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await browser?.close();
    await app?.stop();
  });

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is started in beforeAll: use it in a test`);
    return value;
  };

  return {
    get app() {
      return started(app, 'the application');
    },
    get browser() {
      return started(browser, 'the browser');
    },
    async openAs(user, groups, { viewport = { width: 1200, height: 900 }, shot } = {}) {
      const context = await started(browser, 'the browser').newContext({ viewport });
      contexts.push(context);
      await context.addInitScript({ content: RECORD_LAYOUT_SHIFTS });
      const page = await context.newPage();
      onTestFailed(() => screenshot(page, `${failedShots}-${user}`));
      await page.goto(started(app, 'the application').url);
      await page.getByRole('note').filter({ hasText: 'Development identity mode' }).waitFor();
      if (shot) await screenshot(page, shot);
      await pickDevIdentity(page, user, groups);
      return page;
    },
  };
}
