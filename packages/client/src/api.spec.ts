import type { User } from '../../../src/protocol';
import { RoomsApi, TwoFactorApi, UsersApi } from './api';
import { Auth } from './auth';
import { ParleyHttpError } from './errors';
import { processLock } from './lock';
import { FetchFn } from './rest';
import { memorySessionStore } from './session-store';

const user: User = {
  id: 'u1',
  email: 'ada@example.com',
  displayName: 'Ada',
  role: 'user',
  emailVerified: true,
  twoFactorEnabled: false,
  createdAt: '2026-01-01T00:00:00.000Z',
};

/** Records what each method puts on the wire and answers as the contract says. */
function setup(answers: Record<string, { status: number; body?: unknown }> = {}) {
  const calls: string[] = [];
  const fetch: FetchFn = async (url, init) => {
    const path = url.replace(/^https?:\/\/[^/]+/, '');
    const key = `${init.method} ${path}`;
    calls.push(init.body ? `${key} ${init.body}` : key);
    if (path === '/auth/refresh')
      return {
        ok: true,
        status: 200,
        statusText: 'OK',
        json: async () => ({ user, accessToken: 'a.e30.s', refreshToken: 'r2', tokenType: 'Bearer', expiresIn: 900 }),
      };
    const answer = answers[key] ?? { status: 200, body: {} };
    return { ok: answer.status < 300, status: answer.status, statusText: String(answer.status), json: async () => answer.body };
  };
  const auth = new Auth({ baseUrl: 'http://x', fetch, store: memorySessionStore({ refreshToken: 'r1', user }), lock: processLock });
  return { calls: () => calls.filter((c) => !c.startsWith('POST /auth/refresh')), auth };
}

describe('RoomsApi / UsersApi / TwoFactorApi', () => {
  it('puts every rooms route on the wire with the room name escaped, and unwraps the lists', async () => {
    const { calls, auth } = setup({
      'GET /rooms': { status: 200, body: { rooms: [{ name: 'general' }] } },
      'GET /rooms/dm%3Aa%3Ab/members': { status: 200, body: { members: [{ role: 'member' }] } },
      'GET /rooms/team/bans': { status: 200, body: { bans: [] } },
      'DELETE /rooms/team': { status: 204 },
    });
    const rooms = new RoomsApi(auth);
    expect(await rooms.list()).toEqual([{ name: 'general' }]);
    await rooms.create({ name: 'team', title: 'The team', visibility: 'private' });
    await rooms.get('team');
    await rooms.update('team', { title: 'Team' });
    expect(await rooms.members('dm:a:b')).toEqual([{ role: 'member' }]);
    await rooms.putMember('team', 'u/2', { role: 'moderator' });
    await rooms.removeMember('team', 'u2');
    expect(await rooms.bans('team')).toEqual([]);
    await rooms.ban('team', 'u2', { reason: 'spam' });
    await rooms.unban('team', 'u2');
    await rooms.messages('team', { before: '01J0', limit: 10 });
    await expect(rooms.delete('team')).resolves.toBeUndefined();
    expect(calls()).toEqual([
      'GET /rooms',
      'POST /rooms {"name":"team","title":"The team","visibility":"private"}',
      'GET /rooms/team',
      'PATCH /rooms/team {"title":"Team"}',
      'GET /rooms/dm%3Aa%3Ab/members',
      'PUT /rooms/team/members/u%2F2 {"role":"moderator"}',
      'DELETE /rooms/team/members/u2',
      'GET /rooms/team/bans',
      'PUT /rooms/team/bans/u2 {"reason":"spam"}',
      'DELETE /rooms/team/bans/u2',
      'GET /rooms/team/messages?before=01J0&limit=10',
      'DELETE /rooms/team',
    ]);
    auth.dispose();
  });

  it('searches people with the query escaped, and surfaces the contract errors', async () => {
    const { calls, auth } = setup({
      'GET /users?q=Ad%C3%A9+L': { status: 200, body: { users: [{ id: 'u1', displayName: 'Adé L' }] } },
      'GET /users/nobody': { status: 404, body: { statusCode: 404, message: 'Unknown user', error: 'Not Found' } },
    });
    const users = new UsersApi(auth);
    expect(await users.search('Adé L')).toEqual([{ id: 'u1', displayName: 'Adé L' }]);
    const error = await users.get('nobody').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ParleyHttpError);
    expect(error).toMatchObject({ status: 404, message: 'Unknown user' });
    expect(calls()).toEqual(['GET /users?q=Ad%C3%A9+L', 'GET /users/nobody']);
    auth.dispose();
  });

  it('enables two-factor with a code, returns the recovery codes and reads the user again', async () => {
    const codes = Array.from({ length: 10 }, (_, i) => `code-${i}`);
    const { calls, auth } = setup({
      'POST /auth/2fa/setup': { status: 200, body: { secret: 'JBSWY3DPEHPK3PXP', otpauthUrl: 'otpauth://totp/x' } },
      'POST /auth/2fa/enable': { status: 200, body: { recoveryCodes: codes } },
      'GET /auth/me': { status: 200, body: { ...user, twoFactorEnabled: true } },
      'POST /auth/2fa/disable': { status: 204 },
    });
    const twoFactor = new TwoFactorApi(auth);
    expect((await twoFactor.setup()).secret).toBe('JBSWY3DPEHPK3PXP');
    expect(await twoFactor.enable('123456')).toEqual(codes);
    expect(auth.user?.twoFactorEnabled).toBe(true);
    await twoFactor.disable({ password: 'pw', code: 'code-1' });
    expect(calls()).toEqual([
      'POST /auth/2fa/setup',
      'POST /auth/2fa/enable {"code":"123456"}',
      'GET /auth/me',
      'POST /auth/2fa/disable {"password":"pw","code":"code-1"}',
      'GET /auth/me',
    ]);
    auth.dispose();
  });
});
