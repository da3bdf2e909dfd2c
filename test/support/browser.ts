import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';
import { DATABASES, Env, startApp, testEnv, TestApp } from './app';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of the browser suites. */
export const SHOTS = join(__dirname, '..', 'artifacts');
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !process.env.PARLEY_QUIET_BROWSER_SKIP) {
  process.env.PARLEY_QUIET_BROWSER_SKIP = '1';
  console.info(`Browser suites skipped: ${CHROMIUM} is missing (apt-get install chromium).`);
}

/** Debian's Chromium, headless, with nothing reaching for the (closed) network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface DemoInBrowser {
  t: TestApp;
  /** A person in a browser context of their own (own storage, own session), on the demo page. */
  open(): Promise<Page>;
}

/**
 * For the enclosing describe: the demo client built from the current sources, the app serving
 * it, and Chromium; everything closed afterwards.
 */
export function demoInBrowser(options: { width: number; env?: Env }): DemoInBrowser {
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const suite = {
    t: undefined as unknown as TestApp,
    async open(): Promise<Page> {
      const context = await browser.newContext({ viewport: { width: options.width, height: 760 } });
      contexts.push(context);
      const page = await context.newPage();
      page.setDefaultTimeout(8000);
      page.on('pageerror', (e) => console.log('pageerror', e.message));
      await page.goto(suite.t.url);
      return page;
    },
  };
  beforeAll(async () => {
    execFileSync(process.execPath, [join(__dirname, '..', '..', 'scripts', 'build-client.mjs')], { stdio: 'inherit' });
    mkdirSync(SHOTS, { recursive: true });
    suite.t = await startApp(testEnv(await DATABASES[0].url(), { WS_RATE_LIMIT: '1000/1s', ...options.env }));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await suite.t?.close();
  });
  return suite;
}
