import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { base32Decode, hotp, timeStep } from '../src/two-factor/totp';
import { demoInBrowser, haveChromium, SHOTS } from './support/browser';
import { PASSWORD, uniqueEmail } from './support/clients';

/**
 * The demo client's part-2 features in Chromium, as people use them, without typing an id:
 * a private room, an invitation by name, edits, reactions, deletion, unread badges, removal;
 * two-factor setup from the QR code's page and the two-step sign-in.
 */

(haveChromium ? describe : describe.skip)('demo client: rooms, message lifecycle, two-factor (Chromium)', () => {
  const demo = demoInBrowser({ width: 1180 });
  const open = () => demo.open();

  async function signUp(page: Page, name: string): Promise<string> {
    const email = uniqueEmail(name.toLowerCase().replace(/\s+/g, '-'));
    await page.getByTestId('register-toggle').click();
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('register-displayname').fill(name);
    await page.getByTestId('login-submit').click();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
    return email;
  }

  async function say(page: Page, text: string): Promise<void> {
    await page.getByTestId('message-input').fill(text);
    await page.getByTestId('message-input').press('Enter');
    await message(page, text).filter({ hasNotText: 'sending…' }).waitFor();
  }

  const message = (page: Page, text: string) => page.getByTestId('message-item').filter({ hasText: text });
  const roomEntry = (page: Page, title: string) => page.getByTestId('room-list').getByTestId('room-entry').filter({ hasText: title });
  const heading = (page: Page, title: string) => page.getByRole('heading', { name: title, exact: true });

  async function pick(page: Page, picker: string, prefix: string, name: string): Promise<void> {
    await page.getByTestId(picker).fill(prefix);
    await page.getByTestId(`${picker}-results`).getByTestId('people-option').filter({ hasText: name }).click();
  }

  it('create a private room, invite by name, chat, edit, react, delete, unread badges, remove', async () => {
    const alice = await open();
    const bob = await open();
    await signUp(alice, 'Alice Martin');
    await signUp(bob, 'Bob Stone');

    // A public room with some talk, so the list has more than one room.
    await alice.getByTestId('create-room-toggle').click();
    await alice.getByTestId('create-room-name').fill('general');
    await alice.getByTestId('create-room-submit').click();
    await heading(alice, '# general').waitFor();
    await say(alice, 'Morning all');

    await alice.getByTestId('create-room-toggle').click();
    await alice.getByTestId('create-room-name').fill('design');
    await alice.getByTestId('create-room-title').fill('Design team');
    await alice.getByTestId('create-room-private').check();
    await alice.getByTestId('create-room-submit').click();
    await heading(alice, '# Design team').waitFor();
    await roomEntry(alice, 'Design team').getByLabel('private').waitFor();

    // Bob cannot see the private room yet; the public one is listed for him.
    await bob.getByTestId('rooms-refresh').click();
    await roomEntry(bob, 'general').waitFor();
    expect(await roomEntry(bob, 'Design team').count()).toBe(0);

    // Invite by name through the picker.
    await alice.getByTestId('room-members').click();
    await alice.getByTestId('member-row').filter({ hasText: 'Alice Martin' }).getByTestId('member-role').filter({ hasText: 'owner' }).waitFor();
    await pick(alice, 'member-picker', 'bo', 'Bob Stone');
    await alice.getByTestId('member-row').filter({ hasText: 'Bob Stone' }).getByTestId('member-role').filter({ hasText: 'member' }).waitFor();
    await alice.getByTestId('members-close').click();

    await bob.getByTestId('rooms-refresh').click();
    await roomEntry(bob, 'Design team').click();
    await heading(bob, '# Design team').waitFor();
    await say(alice, 'Welcome Bob');
    await message(bob, 'Welcome Bob').waitFor();
    await say(bob, 'Thanks Alice, glad to be here');
    await message(alice, 'Thanks Alice, glad to be here').waitFor();

    // Edit: Bob sees the new text and "edited".
    await message(alice, 'Welcome Bob').hover();
    await message(alice, 'Welcome Bob').getByTestId('message-edit').click();
    await alice.getByTestId('edit-input').fill('Welcome to the design team, Bob!');
    await alice.getByTestId('edit-save').click();
    const edited = message(bob, 'Welcome to the design team, Bob!');
    await edited.getByTestId('message-edited').waitFor();
    // Only your own messages can be edited; a member may not delete others' messages.
    expect(await edited.getByTestId('message-edit').count()).toBe(0);
    expect(await edited.getByTestId('message-delete').count()).toBe(0);

    // Reactions, with counts on both sides; a second click takes yours back.
    await edited.hover();
    await edited.getByTestId('message-react').click();
    await edited.getByTestId('emoji-option').filter({ hasText: '👍' }).click();
    const aliceSide = message(alice, 'Welcome to the design team, Bob!');
    await aliceSide.getByTestId('reaction').filter({ hasText: '👍' }).getByTestId('reaction-count').filter({ hasText: /^1$/ }).waitFor();
    await aliceSide.getByTestId('reaction').filter({ hasText: '👍' }).click();
    await edited.getByTestId('reaction').filter({ hasText: '👍' }).getByTestId('reaction-count').filter({ hasText: /^2$/ }).waitFor();
    await aliceSide.getByTestId('reaction').filter({ hasText: '👍' }).click();
    await edited.getByTestId('reaction').filter({ hasText: '👍' }).getByTestId('reaction-count').filter({ hasText: /^1$/ }).waitFor();
    await message(alice, 'Thanks Alice').hover();
    await message(alice, 'Thanks Alice').getByTestId('message-react').click();
    await message(alice, 'Thanks Alice').getByTestId('emoji-option').filter({ hasText: '🎉' }).click();
    await message(bob, 'Thanks Alice').getByTestId('reaction').filter({ hasText: '🎉' }).waitFor();

    // The owner deletes someone else's message; Bob sees the tombstone.
    await say(bob, 'posted in the wrong room, sorry');
    await message(alice, 'posted in the wrong room').hover();
    await message(alice, 'posted in the wrong room').getByTestId('message-delete').click();
    await bob.getByTestId('message-item').filter({ hasText: 'This message was deleted' }).waitFor();
    expect(await message(bob, 'posted in the wrong room').count()).toBe(0);

    // Unread: Bob looks at a DM with Alice (opened by name) while she writes in the room.
    await pick(bob, 'dm-target', 'ali', 'Alice Martin');
    await heading(bob, '@ Alice Martin').waitFor();
    await say(alice, 'Bob, the mockups are in the drive');
    await say(alice, 'Feedback by Friday please');
    const badge = roomEntry(bob, 'Design team').getByTestId('unread-badge');
    await badge.filter({ hasText: /^2$/ }).waitFor();
    await bob.screenshot({ path: join(SHOTS, 'demo-unread.png') });
    await roomEntry(bob, 'Design team').click();
    await bob.getByTestId('unread-divider').waitFor();
    // The divider sits right before the first unread message.
    const afterDivider = bob.locator('[data-testid="unread-divider"] + [data-testid="message-item"]');
    expect(await afterDivider.getByTestId('message-body').textContent()).toBe('Bob, the mockups are in the drive');
    await badge.waitFor({ state: 'detached' });
    // Read on the server too: the list as the server has it shows no badge.
    await bob.getByTestId('rooms-refresh').click();
    await bob.waitForTimeout(300);
    expect(await badge.count()).toBe(0);

    await alice.getByTestId('message-input').click();
    await alice.mouse.move(0, 0);
    await alice.screenshot({ path: join(SHOTS, 'demo-chat.png') });

    // The owner removes Bob: he gets a notice and the room leaves his list.
    await alice.getByTestId('room-members').click();
    await alice.getByTestId('member-row').filter({ hasText: 'Bob Stone' }).getByTestId('member-remove').click();
    await alice.getByTestId('member-row').filter({ hasText: 'Bob Stone' }).waitFor({ state: 'detached' });
    await alice.screenshot({ path: join(SHOTS, 'demo-members.png') });
    await bob.getByTestId('notice').filter({ hasText: 'You were removed from # Design team' }).waitFor();
    await roomEntry(bob, 'Design team').waitFor({ state: 'detached' });
    await bob.getByTestId('rooms-refresh').click();
    await bob.waitForTimeout(300);
    expect(await roomEntry(bob, 'Design team').count()).toBe(0);
    await bob.screenshot({ path: join(SHOTS, 'demo-removed.png') });
  }, 120_000);

  it('owners make moderators and ban with an end date; a moderator deletes messages; deleting the room tells everyone', async () => {
    const owner = await open();
    const carol = await open();
    await signUp(owner, 'Olga Owner');
    await signUp(carol, 'Carol Mod');
    const dave = await open();
    await signUp(dave, 'Dave Member');

    await owner.getByTestId('create-room-toggle').click();
    await owner.getByTestId('create-room-name').fill('ops');
    await owner.getByTestId('create-room-title').fill('Operations');
    await owner.getByTestId('create-room-submit').click();
    await heading(owner, '# Operations').waitFor();
    for (const page of [carol, dave]) {
      await page.getByTestId('rooms-refresh').click();
      await roomEntry(page, 'Operations').click();
      await heading(page, '# Operations').waitFor();
    }
    await owner.getByTestId('room-members').click();
    await owner.getByTestId('member-row').filter({ hasText: 'Carol Mod' }).getByTestId('member-promote').click();
    await owner.getByTestId('member-row').filter({ hasText: 'Carol Mod' }).getByTestId('member-role').filter({ hasText: 'moderator' }).waitFor();
    await owner.getByTestId('members-close').click();

    // Carol moderates now: she may delete Dave's message.
    await carol.getByTestId('rooms-refresh').click();
    await carol.getByText('you: moderator').waitFor();
    await say(dave, 'buy cheap watches');
    await message(carol, 'buy cheap watches').hover();
    await message(carol, 'buy cheap watches').getByTestId('message-delete').click();
    await dave.getByTestId('message-item').filter({ hasText: 'This message was deleted' }).waitFor();

    // …and ban him for a day, with a reason; the ban is listed and can be lifted.
    await carol.getByTestId('room-members').click();
    const daveRow = carol.getByTestId('member-row').filter({ hasText: 'Dave Member' });
    expect(await daveRow.getByTestId('member-promote').count()).toBe(0); // only the owner grants moderator
    await daveRow.getByTestId('member-ban').click();
    const tomorrow = new Date(Date.now() + 24 * 3600_000);
    const local = new Date(tomorrow.getTime() - tomorrow.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await daveRow.getByTestId('ban-until').fill(local);
    await daveRow.getByTestId('ban-reason').fill('spam');
    await daveRow.getByTestId('ban-submit').click();
    await carol.getByTestId('ban-row').filter({ hasText: 'Dave Member' }).filter({ hasText: 'spam' }).waitFor();
    await dave.getByTestId('notice').filter({ hasText: 'You were banned from # Operations' }).waitFor();
    await carol.screenshot({ path: join(SHOTS, 'demo-bans.png') });
    await carol.getByTestId('ban-row').filter({ hasText: 'Dave Member' }).getByTestId('ban-remove').click();
    await carol.getByText('Nobody is banned').waitFor();
    await carol.getByTestId('members-close').click();

    // The owner deletes the room: everyone in it is told and loses it.
    await owner.getByTestId('room-members').click();
    await owner.getByTestId('room-delete').click();
    await owner.getByTestId('room-delete').click();
    await carol.getByTestId('notice').filter({ hasText: 'deleted # Operations' }).waitFor();
    await roomEntry(carol, 'Operations').waitFor({ state: 'detached' });
    await roomEntry(owner, 'Operations').waitFor({ state: 'detached' });
  }, 120_000);

  it('two-factor: set up from the QR code page, sign in with a code, then with a recovery code, turn it off', async () => {
    const page = await open();
    const email = await signUp(page, 'Tess Totp');
    await page.getByTestId('nav-sessions').click();
    await page.getByTestId('twofa-state').filter({ hasText: 'Off' }).waitFor();
    await page.getByTestId('twofa-setup').click();
    const qr = page.getByTestId('twofa-qr');
    await qr.waitFor();
    // The QR code is drawn in the page: dark modules on a light canvas.
    // (the test's tsconfig has no DOM types: the canvas is typed by what is used of it)
    type Canvas = {
      width: number;
      height: number;
      getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
    };
    const dark = await qr.evaluate((element) => {
      const canvas = element as unknown as Canvas;
      const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let count = 0;
      for (let i = 0; i < pixels.length; i += 4) if (pixels[i] < 100) count++;
      return count / (pixels.length / 4);
    });
    expect(dark).toBeGreaterThan(0.2);
    expect(dark).toBeLessThan(0.8);
    const secret = (await page.getByTestId('twofa-secret').textContent())!.trim();
    expect(secret).toMatch(/^[A-Z2-7]+=*$/);
    await page.screenshot({ path: join(SHOTS, 'demo-2fa-setup.png') });

    const step = timeStep(Date.now());
    await page.getByTestId('twofa-code').fill(hotp(base32Decode(secret), step));
    await page.getByTestId('twofa-enable').click();
    const codes = page.getByTestId('recovery-codes').locator('li');
    await codes.nth(9).waitFor();
    expect(await codes.count()).toBe(10);
    const recovery = (await codes.allTextContents()).map((c) => c.trim());
    expect(new Set(recovery).size).toBe(10);
    await page.screenshot({ path: join(SHOTS, 'demo-2fa-codes.png') });
    await page.getByTestId('twofa-codes-done').click();
    expect(await codes.count()).toBe(0); // shown once
    await page.getByTestId('twofa-state').filter({ hasText: 'On' }).waitFor();

    // Sign out, sign in: the password, then the code of the next step (each code counts once).
    const signIn = async () => {
      await page.getByTestId('logout').click();
      await page.getByTestId('login-email').fill(email);
      await page.getByTestId('login-password').fill(PASSWORD);
      await page.getByTestId('login-submit').click();
      await page.getByTestId('mfa-code').waitFor();
    };
    await signIn();
    await page.getByTestId('mfa-code').fill('000000' === hotp(base32Decode(secret), step + 1) ? '111111' : '000000');
    await page.getByTestId('mfa-submit').click();
    await page.getByRole('status').filter({ hasText: /code/i }).waitFor();
    await page.getByTestId('mfa-code').fill(hotp(base32Decode(secret), step + 1));
    await page.getByTestId('mfa-submit').click();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();

    await signIn();
    await page.getByTestId('mfa-recovery').click();
    await page.getByTestId('mfa-code').fill(recovery[0]);
    await page.getByTestId('mfa-submit').click();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();

    // Off again: the password and a (second) recovery code.
    await page.getByTestId('nav-sessions').click();
    await page.getByTestId('twofa-disable-password').fill(PASSWORD);
    await page.getByTestId('twofa-disable-code').fill(recovery[1]);
    await page.getByTestId('twofa-disable').click();
    await page.getByTestId('twofa-state').filter({ hasText: 'Off' }).waitFor();
    await page.getByTestId('logout').click();
    await page.getByTestId('login-email').fill(email);
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor();
  }, 90_000);
});
