import { parseChannel } from '../protocol';
import { channelAccess, parseChannelName } from './channel-rules';

const alice = { id: '01HZALICE000000000000000000', role: 'user' as const };
const admin = { id: '01HZADMIN000000000000000000', role: 'admin' as const };

describe('channel rules', () => {
  it.each([
    ['public:prices', alice, 'allowed'],
    ['public:prices', admin, 'allowed'],
    [`user:${alice.id}`, alice, 'allowed'],
    [`user:${alice.id}.inbox`, alice, 'allowed'],
    [`user:${alice.id}`, admin, 'forbidden'],
    [`user:${admin.id}.x`, alice, 'forbidden'],
    ['admin:ops', alice, 'forbidden'],
    ['admin:ops', admin, 'allowed'],
    ['private:room-1', alice, 'token'],
    ['private:room-1', admin, 'token'],
  ])('%s for %o is %s', (channel, user, expected) => {
    expect(channelAccess(parseChannel(channel)!, user)).toBe(expected);
  });

  it.each([
    'secret:x',
    'public:',
    'public',
    'public:a b',
    'public:é',
    `public:${'a'.repeat(129)}`,
    'user:',
    'user:.x',
    'user:abc.',
    'PUBLIC:x',
    ':x',
  ])('refuses %j', (channel) => {
    expect(parseChannel(channel)).toBeNull();
    expect(() => parseChannelName(channel)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('keeps names case-sensitive and allows dots, dashes and underscores', () => {
    expect(parseChannel('public:Prices.EUR-usd_1')).toMatchObject({ kind: 'public', name: 'Prices.EUR-usd_1' });
    expect(parseChannel(`public:${'a'.repeat(128)}`)).not.toBeNull();
  });
});
