import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { demoInBrowser, haveChromium, SHOTS } from './support/browser';
import { uniqueEmail } from './support/clients';

(haveChromium ? describe : describe.skip)('demo client in Chromium', () => {
  const demo = demoInBrowser({ width: 1100 });
  const open = () => demo.open();

  async function signUp(page: Page, name: string, email = uniqueEmail(name.toLowerCase())): Promise<string> {
    await page.getByTestId('register-toggle').click();
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill('correct horse battery');
    await page.getByTestId('register-displayname').fill(name);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('room-input').waitFor();
    return email;
  }

  async function signIn(page: Page, email: string): Promise<void> {
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill('correct horse battery');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('room-input').waitFor();
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

  const message = (page: Page, text: string) => page.getByTestId('message-item').filter({ hasText: text });

  it('two people chat, see presence and typing, and exchange a DM', async () => {
    const alice = await open();
    const bob = await open();
    await signUp(alice, 'Alice');
    await signUp(bob, 'Bob');
    await joinRoom(alice, 'lobby');
    await joinRoom(bob, 'lobby');
    await alice.getByTestId('online-user').filter({ hasText: 'Bob' }).waitFor();

    await say(alice, 'Hello Bob');
    await message(bob, 'Hello Bob').waitFor();
    await bob.getByTestId('message-input').pressSequentially('Hi Al');
    await alice.getByTestId('typing-indicator').filter({ hasText: 'Bob is typing' }).waitFor();
    await say(bob, 'Hi Alice');
    await message(alice, 'Hi Alice').waitFor();
    expect(await message(alice, 'Hello Bob').locator('[data-testid="message-sender"]').textContent()).toBe('Alice');

    await alice.getByTestId('online-user').filter({ hasText: 'Bob' }).getByRole('button').click();
    await say(alice, 'psst, just you');
    await bob.getByTestId('dm-list').getByRole('button', { name: 'Alice' }).click();
    await message(bob, 'psst, just you').waitFor();
    await alice.screenshot({ path: join(SHOTS, 'chat.png') });
  });

  it('signs out another device from the sessions page', async () => {
    const laptop = await open();
    const email = await signUp(laptop, 'Carol');
    const phone = await open();
    await signIn(phone, email);
    await laptop.getByTestId('nav-sessions').click();
    await laptop.getByTestId('session-row').nth(1).waitFor();
    await laptop.getByTestId('session-row').filter({ hasNotText: '(this device)' }).getByTestId('session-signout').click();
    await phone.getByTestId('login-reason').filter({ hasText: 'session_deleted' }).waitFor();
    await laptop.screenshot({ path: join(SHOTS, 'sessions.png') });
  });

  it('shows an admin the live stats', async () => {
    const page = await open();
    const email = await signUp(page, 'Root');
    await demo.t.makeAdmin(email);
    await page.getByTestId('logout').click();
    await signIn(page, email);
    await joinRoom(page, 'ops');
    await say(page, 'one message for the stats');
    await message(page, 'one message for the stats').filter({ hasNotText: 'sending' }).waitFor();
    await page.getByTestId('nav-dashboard').click();
    await page
      .getByTestId('stat-messagesPerMinute')
      .filter({ hasText: /^[1-9]/ })
      .waitFor({ timeout: 5000 });
    expect(Number(await page.getByTestId('stat-connections').textContent())).toBeGreaterThan(0);
    await page.waitForTimeout(2200); // a second sample, so the chart has a line
    await page.screenshot({ path: join(SHOTS, 'dashboard.png') });
  });
});
