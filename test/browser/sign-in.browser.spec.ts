import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BuiltApp } from '../support/built-app';
import { launchChromium, onTestFailed, screenshot } from './browser';
import {
  freePort,
  startOpenIdProvider,
  TASKLIST_AUDIENCE,
  TASKLIST_CLIENT_ID,
  TASKLIST_SCOPES,
} from './openid-provider';

/** Access tokens live this long: the tests wait for one to expire. */
const ACCESS_TOKEN_TTL_SECONDS = 12;

describe('web tasklist in jwt mode', () => {
  let app: BuiltApp;
  let provider: Awaited<ReturnType<typeof startOpenIdProvider>>;
  let browser: Browser;

  beforeAll(async () => {
    const port = await freePort();
    const appUrl = `http://127.0.0.1:${port}`;
    provider = await startOpenIdProvider({
      appUrl,
      accessTokenTtl: ACCESS_TOKEN_TTL_SECONDS,
      groups: { alice: ['accounting'], bob: ['accounting'] },
      refreshTokensFor: ['bob'],
    });
    [app, browser] = await Promise.all([
      BuiltApp.start({
        EDDY_HTTP_PORT: String(port),
        EDDY_AUTH_MODE: 'jwt',
        EDDY_JWT_JWKS_URL: `${provider.issuer}/jwks`,
        EDDY_JWT_ISSUER: provider.issuer,
        EDDY_JWT_AUDIENCE: TASKLIST_AUDIENCE,
        EDDY_OIDC_CLIENT_ID: TASKLIST_CLIENT_ID,
        EDDY_OIDC_SCOPES: TASKLIST_SCOPES,
      }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await provider?.close();
  });

  it('signs in at the OpenID provider (code flow with PKCE), works with the token, and asks again once it expired', async () => {
    const page = await (await browser.newContext()).newPage();
    onTestFailed(() => screenshot(page, 'failed-sign-in'));
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Sign in' }).click();

    // The provider's own login form.
    await page.locator('input[name="login"]').waitFor();
    await screenshot(page, 'provider-login');
    await page.locator('input[name="login"]').fill('alice');
    await page.locator('input[name="password"]').fill('any');
    await page.locator('button[type="submit"]').click();

    // Back on the page with a token: the API knows alice and her groups, over HTTP and graphql-ws.
    await page.getByText('Working as alice (accounting)').waitFor();
    await page.getByTestId('count-group').filter({ hasText: /^0$/ }).waitFor();
    await screenshot(page, 'signed-in');

    await page
      .getByRole('alert')
      .filter({ hasText: 'Your session has expired' })
      .waitFor({ timeout: (ACCESS_TOKEN_TTL_SECONDS + 20) * 1000 });
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'session-expired');
  });

  it('renews the token with the refresh token before it expires, and the live lists go on past its lifetime', async () => {
    const page = await (await browser.newContext()).newPage();
    onTestFailed(() => screenshot(page, 'failed-renewal'));
    await page.goto(app.url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('input[name="login"]').fill('bob');
    await page.locator('input[name="password"]').fill('any');
    const renewed = provider.nextRefresh();
    await page.locator('button[type="submit"]').click();
    await page.getByText('Working as bob (accounting)').waitFor();
    const firstTokenExpires = Date.now() + ACCESS_TOKEN_TTL_SECONDS * 1000;
    await page.getByTestId('count-group').filter({ hasText: /^0$/ }).waitFor();
    await renewed;

    // Past the first token's lifetime: the server has closed the connection opened with it (4401),
    // so a change can only arrive through a connection opened with a renewed token.
    await new Promise((resolve) => setTimeout(resolve, firstTokenExpires + 2_000 - Date.now()));
    const appToken = await provider.accessToken('billing-app', ['process-applications']);
    const answer = await fetch(`${app.url}/api/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${appToken}` },
      body: JSON.stringify({
        commands: [
          {
            type: 'CreateTask',
            commandId: 'renewal-create-1',
            data: {
              id: 'renewal-task-1',
              name: 'Approve the invoice of bob',
              taskDefinitionKey: 'approve',
              candidateUsers: ['bob'],
              sourceReference: {
                type: 'generic',
                instanceId: 'invoice-1',
                definitionId: 'invoices',
                definitionKey: 'invoices',
                name: 'Invoices',
                applicationName: 'billing',
              },
            },
          },
        ],
      }),
    });
    expect(await answer.json()).toMatchObject({ results: [{ status: 'accepted' }] });
    await page.getByTestId('count-group').filter({ hasText: /^1$/ }).waitFor();
    await page.getByRole('button', { name: /Approve the invoice of bob/ }).waitFor();
    expect(await page.getByText('Your session has expired').count()).toBe(0);
    await screenshot(page, 'session-renewed');
  });
});
