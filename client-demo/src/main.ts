import { api } from './api';
import { Auth } from './auth';
import { ChatView } from './chat';
import { $, formValues, setStatus } from './dom';
import { Dashboard, renderSessions } from './pages';

const auth = new Auth();
const chat = new ChatView(auth);
const dashboard = new Dashboard(auth);
const VIEWS = ['auth', 'verify', 'reset', 'chat', 'sessions', 'dashboard'] as const;
type View = (typeof VIEWS)[number];
let registering = false;

function show(view: View): void {
  for (const name of VIEWS) $(`view-${name}`).hidden = name !== view;
  for (const link of $('nav').querySelectorAll('a')) link.classList.toggle('active', link.getAttribute('href') === `#/${view}`);
  const user = auth.user;
  $('nav').hidden = !user;
  $('logout').hidden = !user;
  $('nav-dashboard').hidden = user?.role !== 'admin';
  $('current-user').textContent = user ? `${user.displayName} · ${user.id}` : '';
  $('verify-hint').hidden = !user || user.emailVerified;
}

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
      await api('POST', '/auth/verify-email', { token: params.get('token') ?? '' });
      $('verify-result').textContent = 'Your email address is confirmed. Thank you!';
      if (auth.user) auth.user.emailVerified = true;
    } catch (error) {
      $('verify-result').textContent = (error as Error).message;
    }
    return;
  }
  if (path === 'reset-password') return show('reset');
  if (!auth.user) {
    if (auth.hasRefreshToken && (await auth.refresh()) && auth.user) return navigate();
    return show('auth');
  }
  chat.connect();
  if (path === 'sessions') {
    show('sessions');
    await renderSessions(auth).catch((error: Error) => setStatus(error.message, true));
  } else if (path === 'dashboard' && auth.user.role === 'admin') {
    show('dashboard');
    dashboard.open();
  } else {
    show('chat');
  }
}

auth.onSignedOut = (reason) => {
  chat.disconnect();
  dashboard.close();
  const banner = $('login-reason');
  banner.textContent = reason;
  banner.hidden = false;
  setRegistering(false);
  location.hash = '#/login';
  show('auth');
};

function setRegistering(on: boolean): void {
  registering = on;
  $('displayname-field').hidden = !registering;
  $<HTMLInputElement>('displayname-field').querySelector('input')!.required = registering;
  $('auth-title').textContent = registering ? 'Create an account' : 'Sign in';
  $('auth-submit').textContent = registering ? 'Create account' : 'Sign in';
  $('register-toggle').textContent = registering ? 'I already have an account' : 'Create an account';
}
$('register-toggle').addEventListener('click', () => setRegistering(!registering));

$('auth-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { email, password, displayName } = formValues(event.target as HTMLFormElement);
  try {
    if (registering) await auth.register(email, password, displayName);
    else await auth.login(email, password);
    $('login-reason').hidden = true;
    setStatus(registering ? 'Welcome! Check your mail to confirm your address.' : 'Signed in');
    location.hash = '#/chat';
    await navigate();
  } catch (error) {
    setStatus((error as Error).message, true);
  }
});

$('forgot-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { email } = formValues(event.target as HTMLFormElement);
  await api('POST', '/auth/password/forgot', { email }).then(
    () => setStatus('If that account exists, a reset link is on its way.'),
    (error: Error) => setStatus(error.message, true),
  );
});

$('reset-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const { newPassword } = formValues(event.target as HTMLFormElement);
  try {
    await api('POST', '/auth/password/reset', { token: route().params.get('token') ?? '', newPassword });
    auth.clear('Password changed: sign in with the new one');
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
    await auth.call('PATCH', '/auth/password', formValues(form));
    form.reset();
    setStatus('Password changed; your other devices were signed out.');
    await renderSessions(auth);
  } catch (error) {
    setStatus((error as Error).message, true);
  }
});

$('resend').addEventListener('click', () => {
  auth.call('POST', '/auth/verify-email/resend').then(
    () => setStatus('A new verification link is on its way.'),
    (error: Error) => setStatus(error.message, true),
  );
});
/** Our own sign-out: close the sockets first so their `session:revoked` is not shown as news. */
function signOut(all: boolean): void {
  chat.disconnect();
  dashboard.close();
  void auth.logout(all);
}
$('logout').addEventListener('click', () => signOut(false));
$('logout-all').addEventListener('click', () => signOut(true));
window.addEventListener('hashchange', () => void navigate());
void navigate();
