import { RoomFacts, refusal, RoomAction } from './room-policy';

const ME = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const OTHER = '01BX5ZZKBKACTAV9WEVGEMMVRZ';
const user = { id: ME, role: 'user' as const };
const admin = { id: ME, role: 'admin' as const };

const named = (name: string, over: Partial<RoomFacts> = {}): RoomFacts => ({
  ref: { kind: 'named', name },
  room: null,
  role: null,
  banned: false,
  ...over,
});
const created = (visibility: 'public' | 'private', over: Partial<RoomFacts> = {}) => named('team', { room: { visibility, ownerId: OTHER }, ...over });
const allowed = (
  caller: typeof user | typeof admin,
  facts: RoomFacts,
  action: RoomAction,
  target?: { userId: string; role?: 'owner' | 'moderator' | 'member' | null },
) => refusal(caller, facts, action, target) === null;

describe('RoomPolicy', () => {
  it('lets anyone read and join a public room, members only a private one', () => {
    for (const action of ['view', 'read', 'join', 'listMembers'] as const) {
      expect(allowed(user, created('public'), action)).toBe(true);
      expect(allowed(user, created('private'), action)).toBe(false);
      expect(allowed(user, created('private', { role: 'member' }), action)).toBe(true);
      expect(allowed(admin, created('private'), action)).toBe(true);
    }
  });

  it('refuses a banned user everything but the details of a public room', () => {
    const banned = created('public', { banned: true });
    expect(allowed(user, banned, 'view')).toBe(true);
    for (const action of ['read', 'join', 'send', 'react', 'markRead', 'listMembers'] as const) expect(allowed(user, banned, action)).toBe(false);
  });

  it('ranks owner over moderators over members, and nobody over the owner', () => {
    const as = (role: 'owner' | 'moderator' | 'member') => created('public', { role });
    const cases: Array<['owner' | 'moderator' | 'member', 'owner' | 'moderator' | 'member' | null, boolean]> = [
      ['owner', 'moderator', true],
      ['owner', 'member', true],
      ['moderator', 'member', true],
      ['moderator', null, true],
      ['moderator', 'moderator', false],
      ['moderator', 'owner', false],
      ['member', 'member', false],
      ['owner', 'owner', false],
    ];
    for (const [actor, target, expected] of cases) {
      expect(allowed(user, as(actor), 'removeMember', { userId: OTHER, role: target })).toBe(expected);
      expect(allowed(user, as(actor), 'ban', { userId: OTHER, role: target })).toBe(expected);
    }
    expect(allowed(user, as('member'), 'removeMember', { userId: ME, role: 'member' })).toBe(true);
    expect(allowed(user, as('moderator'), 'ban', { userId: ME, role: 'moderator' })).toBe(false);
    expect(allowed(user, as('moderator'), 'setModerator')).toBe(false);
    expect(allowed(user, as('owner'), 'setModerator')).toBe(true);
    expect(allowed(user, as('moderator'), 'update')).toBe(false);
  });

  it('lets only the sender edit, and the sender, managers and admins delete', () => {
    const member = created('public', { role: 'member' });
    expect(allowed(user, member, 'editMessage', { userId: ME })).toBe(true);
    expect(allowed(user, created('public', { role: 'owner' }), 'editMessage', { userId: OTHER })).toBe(false);
    expect(allowed(admin, member, 'editMessage', { userId: OTHER })).toBe(false);
    expect(allowed(user, member, 'deleteMessage', { userId: OTHER })).toBe(false);
    expect(allowed(user, created('public', { role: 'moderator' }), 'deleteMessage', { userId: OTHER })).toBe(true);
    expect(allowed(admin, named('anything'), 'deleteMessage', { userId: OTHER })).toBe(true);
  });

  it('keeps announcements for admins to post in, and unchangeable', () => {
    const announcements = named('announcements', { role: 'member' });
    expect(allowed(user, announcements, 'send')).toBe(false);
    expect(allowed(admin, announcements, 'send')).toBe(true);
    expect(allowed(admin, announcements, 'update')).toBe(false);
    expect(allowed(admin, announcements, 'delete')).toBe(false);
  });

  it('gives a read marker to members only, admins included', () => {
    expect(allowed(admin, created('public'), 'markRead')).toBe(false);
    expect(allowed(admin, created('public', { role: 'member' }), 'markRead')).toBe(true);
  });

  it('keeps a DM to its two users (admins may only delete)', () => {
    const dm: RoomFacts = { ref: { kind: 'dm', name: `dm:${ME}:${OTHER}`, members: [ME, OTHER] }, room: null, role: null, banned: false };
    expect(allowed(user, dm, 'read')).toBe(true);
    expect(allowed(user, dm, 'join')).toBe(false);
    expect(allowed(user, dm, 'listMembers')).toBe(false);
    const outsider = { id: '01CX5ZZKBKACTAV9WEVGEMMVRZ', role: 'admin' as const };
    expect(allowed(outsider, dm, 'read')).toBe(false);
    expect(allowed(outsider, dm, 'deleteMessage', { userId: ME })).toBe(true);
    expect(allowed(user, dm, 'deleteMessage', { userId: OTHER })).toBe(false);
  });
});
