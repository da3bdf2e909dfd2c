import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { Message, TwoFactorSetup } from '@parley/client';
import { base32Decode, hotp, timeStep } from '../../src/two-factor/totp';
import { closeSdkClients, eventually, sdkClient, signedUp } from './helpers';
import { DATABASES, removeSqliteFile, testEnv } from '../support/app';
import { PASSWORD, uniqueEmail } from '../support/clients';
import { RestartableServer } from '../support/restartable-server';

/**
 * The SDK in Chromium, through the demo client: the outbox across a reload while the server
 * is down, and refreshes racing in two tabs. The page's own files are served by the test
 * (from client-demo/dist), so a page loads while the server is down, as from a cache.
 */
const CHROMIUM = '/usr/bin/chromium';
const DIST = join(__dirname, '..', '..', 'client-demo', 'dist');
const STATIC: Record<string, string> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
  '/styles.css': 'styles.css',
  '/uPlot.min.css': 'uPlot.min.css',
};
const haveChromium = existsSync(CHROMIUM);

(haveChromium ? describe : describe.skip)('SDK in Chromium', () => {
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build-client.mjs')], { stdio: 'inherit' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // A page the test serves (route.fulfill) has no address space, so Local Network Access
      // would block its WebSocket to 127.0.0.1; the real page, served by Parley, is same-origin.
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-features=LocalNetworkAccessChecks',
      ],
    });
  }, 60_000);
  afterAll(async () => {
    closeSdkClients();
    for (const context of contexts) await context.close();
    await browser?.close();
  });

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    contexts.push(context);
    await context.route(
      (url) => url.pathname in STATIC,
      (route) => route.fulfill({ path: join(DIST, STATIC[new URL(route.request().url()).pathname]) }),
    );
    return context;
  }

  async function openPage(context: BrowserContext, url: string): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => console.log('pageerror', e.message));
    await page.goto(url);
    return page;
  }

  async function signUpInPage(page: Page, name: string): Promise<string> {
    const email = uniqueEmail(name.toLowerCase());
    await page.getByTestId('register-toggle').click();
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('register-displayname').fill(name);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('room-input').waitFor();
    return email;
  }

  async function joinRoom(page: Page, room: string): Promise<void> {
    await page.getByTestId('room-input').fill(room);
    await page.getByTestId('room-join').click();
    await page.getByRole('heading', { name: `# ${room}` }).waitFor();
  }

  async function say(page: Page, text: string): Promise<void> {
    await page.getByTestId('message-input').fill(text);
    await page.getByTestId('message-input').press('Enter');
  }

  const item = (page: Page, text: string) => page.getByTestId('message-item').filter({ hasText: text });

  describe('the outbox, with the server down', () => {
    let server: RestartableServer;
    let databaseUrl: string;

    beforeAll(async () => {
      databaseUrl = await DATABASES[0].url();
      server = await RestartableServer.start(testEnv(databaseUrl));
    }, 60_000);
    afterAll(async () => {
      await server?.stop('SIGKILL');
      removeSqliteFile(databaseUrl);
    });

    it('delivers what was typed offline exactly once, in order, also after a reload', async () => {
      const page = await openPage(await newContext(), server.url);
      await signUpInPage(page, 'Alice');
      await joinRoom(page, 'offline');
      const bob = await signedUp(server.url, 'Bob');
      const bobChat = bob.client.chat().connect();
      await bobChat.join('offline');
      const bobSees: Message[] = [];
      bobChat.on('message:new', (m) => bobSees.push(m));

      await server.stop('SIGTERM');
      await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
      await say(page, 'typed offline, before the reload');
      await item(page, 'typed offline, before the reload').filter({ hasText: 'sending…' }).waitFor();

      // A reload while the server is still down: signed in from storage, the unsent message from IndexedDB.
      await page.reload();
      await item(page, 'typed offline, before the reload').filter({ hasText: 'sending…' }).waitFor();
      await page
        .getByRole('heading', { name: '# offline' })
        .or(page.getByRole('button', { name: '# offline' }))
        .first()
        .waitFor();
      await page.getByRole('button', { name: '# offline' }).click();
      await say(page, 'typed offline, after the reload');
      await item(page, 'typed offline, after the reload').filter({ hasText: 'sending…' }).waitFor();

      await server.start();
      const sent = ['typed offline, before the reload', 'typed offline, after the reload'];
      for (const text of sent) await item(page, text).filter({ hasNotText: 'sending…' }).waitFor({ timeout: 45_000 });
      await eventually(() => bobSees.length >= 2, 15_000, 'bob sees both');
      await page.waitForTimeout(500);
      expect(bobSees.map((m) => m.body)).toEqual(sent);
      expect((await bobChat.history('offline')).messages.map((m) => m.body)).toEqual(sent);
      // Once in the page too, and nothing left to send after another reload.
      for (const text of sent) expect(await item(page, text).count()).toBe(1);
      await page.reload();
      await item(page, sent[1]).waitFor();
      expect(await page.getByTestId('message-item').filter({ hasText: 'sending…' }).count()).toBe(0);
    }, 120_000);
  });

  describe('the demo client’s two-step sign-in', () => {
    let server: RestartableServer;
    let databaseUrl: string;

    beforeAll(async () => {
      databaseUrl = await DATABASES[0].url();
      server = await RestartableServer.start(testEnv(databaseUrl));
    }, 60_000);
    afterAll(async () => {
      await server?.stop('SIGKILL');
      removeSqliteFile(databaseUrl);
    });

    it('asks for the code after the password, and signs in with it', async () => {
      const page = await openPage(await newContext(), server.url);
      const email = await signUpInPage(page, 'Totp');
      const other = sdkClient(server.url);
      await other.auth.login({ email, password: PASSWORD });
      const setup = await other.auth.request<TwoFactorSetup>('POST', '/auth/2fa/setup');
      const step = timeStep(Date.now());
      await other.auth.request('POST', '/auth/2fa/enable', { code: hotp(base32Decode(setup.secret), step) });
      // Enabling ends every other session, this page's included: it is back at the sign-in form.
      await page.getByTestId('login-reason').filter({ hasText: 'two_factor_changed' }).waitFor();

      await page.getByTestId('login-email').fill(email);
      await page.getByTestId('login-password').fill(PASSWORD);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('mfa-code').fill(hotp(base32Decode(setup.secret), step + 1));
      await page.getByTestId('mfa-submit').click();
      await page.getByTestId('room-input').waitFor();
      await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    }, 60_000);
  });

  describe('refreshes racing in two tabs', () => {
    let server: RestartableServer;
    let databaseUrl: string;

    beforeAll(async () => {
      databaseUrl = await DATABASES[0].url();
      server = await RestartableServer.start(testEnv(databaseUrl, { JWT_ACCESS_TTL: '6s', WS_AUTH_GRACE: '2s' }));
    }, 60_000);
    afterAll(async () => {
      await server?.stop('SIGKILL');
      removeSqliteFile(databaseUrl);
    });

    it('keeps the session: both tabs refresh at once, again and again, and no reuse is detected', async () => {
      const context = await newContext();
      const refreshes: string[] = [];
      context.on('request', (request) => {
        if (request.url().endsWith('/auth/refresh'))
          refreshes.push((JSON.parse(request.postData() ?? '{}') as { refreshToken: string }).refreshToken);
      });
      const tabA = await openPage(context, server.url);
      await signUpInPage(tabA, 'Tabs');
      await joinRoom(tabA, 'tabs');
      const tabB = await openPage(context, server.url);
      await tabB.getByRole('status').filter({ hasText: 'Connected' }).waitFor(); // its first refresh is done

      // Both start at once with no access token (a reload keeps only the refresh token): two refreshes at the same moment.
      // Each round waits until both are connected, and rounds are shorter than a token's life:
      // a reload that cut a refresh in flight would lose the rotated token (the server then sees
      // the old one again and ends the session; only a reuse grace period on the server helps there).
      for (let round = 0; round < 3; round++) {
        await Promise.all([tabA.reload(), tabB.reload()]);
        for (const tab of [tabA, tabB]) await tab.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
      }
      await tabA.getByRole('button', { name: '# tabs' }).click();
      // Their refresh timers now fire together too (6 s tokens, refreshed 0.6 s early): two more rounds.
      await tabA.waitForTimeout(12_000);

      expect(refreshes.length).toBeGreaterThanOrEqual(8);
      expect(new Set(refreshes).size).toBe(refreshes.length); // every refresh token was sent once
      for (const tab of [tabA, tabB]) expect(await tab.getByTestId('login-reason').isVisible()).toBe(false);
      await say(tabA, 'still signed in');
      await item(tabA, 'still signed in').filter({ hasNotText: 'sending…' }).waitFor();
      await tabB.getByRole('button', { name: '# tabs' }).click();
      await item(tabB, 'still signed in').waitFor();
    }, 90_000);
  });
});
