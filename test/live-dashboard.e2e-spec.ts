import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Browser, chromium } from 'playwright-core';
import { DATABASES, startApp, testEnv, TestApp } from './support/app';
import { register } from './support/clients';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(__dirname, 'artifacts');
const EXAMPLE = join(__dirname, '..', 'examples', 'live-dashboard', 'server.mjs');
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.info(`Live dashboard browser suite skipped: ${CHROMIUM} is missing.`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The example backend (examples/live-dashboard/server.mjs) publishing through the server API, and its page in Chromium. */
(haveChromium ? describe : describe.skip)('examples/live-dashboard in Chromium', () => {
  let t: TestApp;
  let example: ChildProcess;
  let browser: Browser;
  let output = '';
  let pageUrl: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const port = await freePort();
    pageUrl = `http://127.0.0.1:${port}/`;
    t = await startApp(testEnv(await DATABASES[0].url(), { CORS_ORIGINS: `http://127.0.0.1:${port}` }));
    const { key } = await t.apiKey('Live dashboard', ['read', 'notify']);
    example = spawn(process.execPath, [EXAMPLE, '--parley', t.url, '--port', String(port), '--channel', 'public:parley-stats', '--interval', '500'], {
      env: { ...process.env, PARLEY_API_KEY: key },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the example did not start:\n${output}`)), 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Live dashboard at')) {
          clearTimeout(timer);
          resolve();
        }
      };
      example.stdout?.on('data', onData);
      example.stderr?.on('data', onData);
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    example?.kill('SIGTERM');
    await t?.close();
  });

  it('charts the public: channel the example backend publishes to, and keeps updating', async () => {
    const user = await register(t.url, { displayName: 'Watcher' });
    const context = await browser.newContext({ viewport: { width: 900, height: 600 } });
    const page = await context.newPage();
    page.setDefaultTimeout(8000);
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pageUrl);
    await page.getByTestId('live-email').fill(user.user.email);
    await page.getByTestId('live-password').fill('correct horse battery');
    await page.getByTestId('live-signin').click();
    await page.getByTestId('live-status').filter({ hasText: 'live' }).waitFor();
    const offset = async () => Number(await page.getByTestId('live-offset').textContent());
    const until = async (probe: () => Promise<boolean>) => {
      for (let started = Date.now(); Date.now() - started < 8000; await page.waitForTimeout(100)) if (await probe()) return;
      throw new Error('the page did not update');
    };
    await page
      .getByTestId('live-offset')
      .filter({ hasText: /^[1-9]/ })
      .waitFor();
    const first = await offset();
    await until(async () => (await offset()) >= first + 2);
    expect(Number(await page.getByTestId('live-points').textContent())).toBeGreaterThanOrEqual(3);
    // the page's own socket is one of the connections the backend reads from Parley and publishes
    await until(async () => Number(await page.getByTestId('live-connections').textContent()) >= 1);
    expect(await page.locator('#line').getAttribute('points')).toMatch(/\d+(\.\d+)?,\d+/);
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'live-dashboard.png') });
    await context.close();
  });
});
