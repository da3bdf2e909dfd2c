import type { Principal } from '../auth/principal';
import { AppError } from '../common/errors';
import { ChannelRef, parseChannel } from '../protocol';

/** The Socket.IO room of a channel's subscribers. */
export const channelRoom = (channel: string) => `channel:${channel}`;

export function parseChannelName(channel: string): ChannelRef {
  const ref = parseChannel(channel);
  if (!ref)
    throw new AppError('VALIDATION_FAILED', 'channel must be <kind>:<name>, kind public, user, admin or private, name 1-128 of A-Z a-z 0-9 - _ .');
  return ref;
}

/**
 * Who may read a channel (API.md): `public:` everyone, `user:<id>[.<name>]` that user,
 * `admin:` admins, `private:` whoever holds a channel token for it (checked separately).
 */
export function channelAccess(ref: ChannelRef, user: Pick<Principal, 'id' | 'role'>): 'allowed' | 'token' | 'forbidden' {
  switch (ref.kind) {
    case 'public':
      return 'allowed';
    case 'user':
      return ref.userId === user.id ? 'allowed' : 'forbidden';
    case 'admin':
      return user.role === 'admin' ? 'allowed' : 'forbidden';
    case 'private':
      return 'token';
  }
}
