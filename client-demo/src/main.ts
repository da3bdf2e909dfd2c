import { ParleyClient } from '@parley/client';
import { ChatView } from './chat';
import { $, formValues, setStatus } from './dom';
import { Dashboard, renderSessions } from './pages';
import { TwoFactorPanel } from './security';

/**
 * The demo client, on @parley/client: the SDK keeps the refresh token and user in the browser
 * (so a reload, or a start while offline, stays signed in), the access token in memory only,
 * refreshes one tab at a time (Web Locks), and keeps unsent messages in IndexedDB.
 */
const client = new ParleyClient();
const chat = new ChatView(client);
const dashboard = new Dashboard(client);
const twoFactor = new TwoFactorPanel(client);
const VIEWS = ['auth', 'verify', 'reset', 'chat', 'sessions', 'dashboard'] as const;
type View = (typeof VIEWS)[number];
let registering = false;
let mfaToken: string | null = null;
let recoveryEntry = false;

function show(view: View): void {
  for (const name of VIEWS) $(`view-${name}`).hidden = name !== view;
  for (const link of $('nav').querySelectorAll('a')) link.classList.toggle('active', link.getAttribute('href') === `#/${view}`);
  renderUser();
}

function renderUser(): void {
  const user = client.auth.user;
  $('nav').hidden = !user;
  $('logout').hidden = !user;
  $('nav-dashboard').hidden = user?.role !== 'admin';
  $('current-user').textContent = user ? user.displayName : '';
  $('verify-hint').hidden = !user || user.emailVerified;
}
client.auth.on('user', renderUser);

/** `#/route?query` */
function route(): { path: string; params: URLSearchParams } {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  return { path: path || 'chat', params: new URLSearchParams(query ?? '') };
}

async function navigate(): Promise<void> {
  const { path, params } = route();
  if (path === 'verify-email') {
    show('verify');
    try {
      await client.auth.publicCall('POST', '/auth/verify-email', { token: params.get('token') ?? '' });
      $('verify-result').textContent = 'Your email address is confirmed. Thank you!';
      if (client.auth.user) await client.auth.me().catch(() => undefined);
    } catch (error) {
      $('verify-result').textContent = (error as Error).message;
    }
    return;
  }
  if (path === 'reset-password') return show('reset');
  const user = client.auth.user;
  if (!user) return show('auth');
  void chat.connect();
  if (path === 'sessions') {
    show('sessions');
    twoFactor.render();
    await renderSessions(client).catch((error: Error) => setStatus(error.message, true));
  } else if (path === 'dashboard' && user.role === 'admin') {
    show('dashboard');
    dashboard.open();
  } else {
    show('chat');
  }
}

client.onSignedOut(({ message }) => {
  chat.reset();
  dashboard.close();
  const banner = $('login-reason');
  banner.textContent = message;
  banner.hidden = false;
  setRegistering(false);
  location.hash = '#/login';
  show('auth');
});

function setRegistering(on: boolean): void {
  registering = on;
  mfaToken = null;
  setRecoveryEntry(false);
  $('auth-form').hidden = false;
  $('mfa-form').hidden = true;
  $('displayname-field').hidden = !registering;
  $<HTMLInputElement>('displayname-field').querySelector('input')!.required = registering;
  $('auth-title').textContent = registering ? 'Create an account' : 'Sign in';
  $('auth-submit').textContent = registering ? 'Create account' : 'Sign in';
  $('register-toggle').textContent = registering ? 'I already have an account' : 'Create an account';
}
$('register-toggle').addEventListener('click', () => setRegistering(!registering));

/** The second step takes a code from the app, or one of the recovery codes shown at setup. */
function setRecoveryEntry(on: boolean): void {
  recoveryEntry = on;
  $('mfa-label').textContent = on ? 'One of your recovery codes' : 'Code from your authenticator app';
  $('mfa-recovery').textContent = on ? 'Use a code from the app instead' : 'Use a recovery code instead';
  const input = $<HTMLInputElement>('mfa-form').querySelector('input')!;
  input.inputMode = on ? 'text' : 'numeric';
  input.autocomplete = on ? 'off' : 'one-time-code';
}
$('mfa-recovery').addEventListener('click', () => setRecoveryEntry(!recoveryEntry));

async function signedIn(welcome: string): Promise<void> {
  $('login-reason').hidden = true;
  setStatus(welcome);
  location.hash = '#/chat';
  await navigate();
}

$('auth-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { email, password, displayName } = formValues(event.target as HTMLFormElement);
  try {
    if (registering) {
      await client.auth.register({ email, password, displayName });
      return await signedIn('Welcome! Check your mail to confirm your address.');
    }
    const result = await client.auth.login({ email, password });
    if (result.status === 'signed_in') return await signedIn('Signed in');
    // Two-factor sign-in: a code from the authenticator app (or a recovery code) next.
    mfaToken = result.mfaToken;
    $('auth-form').hidden = true;
    $('mfa-form').hidden = false;
    $<HTMLInputElement>('mfa-form').querySelector('input')?.focus();
  } catch (error) {
    setStatus((error as Error).message, true);
  }
});

$('mfa-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  const { code } = formValues(form);
  if (!mfaToken) return;
  try {
    const totp = !recoveryEntry && /^\s*\d{6}\s*$/.test(code);
    await client.auth.loginSecondStep(totp ? { mfaToken, code: code.trim() } : { mfaToken, recoveryCode: code.trim() });
    form.reset();
    setRegistering(false);
    await signedIn('Signed in');
  } catch (error) {
    setStatus((error as Error).message, true);
  }
});

$('forgot-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { email } = formValues(event.target as HTMLFormElement);
  await client.auth.publicCall('POST', '/auth/password/forgot', { email }).then(
    () => setStatus('If that account exists, a reset link is on its way.'),
    (error: Error) => setStatus(error.message, true),
  );
});

$('reset-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { newPassword } = formValues(event.target as HTMLFormElement);
  try {
    await client.auth.publicCall('POST', '/auth/password/reset', { token: route().params.get('token') ?? '', newPassword });
    client.auth.end({ reason: 'password_reset', message: 'Password changed: sign in with the new one' });
    setStatus('Password changed. Sign in with your new password.');
    location.hash = '#/login';
    show('auth');
  } catch (error) {
    setStatus((error as Error).message, true);
  }
});

$('password-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  try {
    await client.auth.request('PATCH', '/auth/password', formValues(form));
    form.reset();
    setStatus('Password changed; your other devices were signed out.');
    await renderSessions(client);
  } catch (error) {
    setStatus((error as Error).message, true);
  }
});

$('resend').addEventListener('click', () => {
  client.auth.request('POST', '/auth/verify-email/resend').then(
    () => setStatus('A new verification link is on its way.'),
    (error: Error) => setStatus(error.message, true),
  );
});
$('logout').addEventListener('click', () => void client.auth.logout());
$('logout-all').addEventListener('click', () => void client.auth.logout({ all: true }));
window.addEventListener('hashchange', () => void navigate());
void navigate();
// The stored user may be out of date (a role or verification changed elsewhere): ask once online.
if (client.auth.user) void client.auth.me().catch(() => undefined);
