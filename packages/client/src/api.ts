import type {
  Ban,
  BanList,
  CreateRoomBody,
  HistoryQuery,
  Member,
  MemberList,
  MessagePage,
  PutBanBody,
  PutMemberBody,
  RecoveryCodes,
  Room,
  RoomEntry,
  RoomList,
  Static,
  TwoFactorDisableBody,
  TwoFactorSetup,
  UpdateRoomBody,
  User,
  UserList,
  UserSummary,
} from '../../../src/protocol';
import type { Auth } from './auth';

/** `/rooms/:room…` with the name escaped (`dm:` names carry colons). */
const roomPath = (room: string, rest = '') => `/rooms/${encodeURIComponent(room)}${rest}`;
const userPath = (userId: string) => encodeURIComponent(userId);

/** The rooms routes (bearer): the caller's room list, created rooms, members and bans. */
export class RoomsApi {
  constructor(private readonly auth: Auth) {}

  /** `GET /rooms`: the caller's rooms, created public rooms and DMs, most recent activity first. */
  async list(): Promise<RoomEntry[]> {
    return (await this.auth.request<RoomList>('GET', '/rooms')).rooms;
  }

  create(body: CreateRoomBody): Promise<Room> {
    return this.auth.request<Room>('POST', '/rooms', body);
  }

  get(room: string): Promise<Room> {
    return this.auth.request<Room>('GET', roomPath(room));
  }

  /** Title, visibility, or `ownerId` (a member) to transfer ownership: owner or admin. */
  update(room: string, body: UpdateRoomBody): Promise<Room> {
    return this.auth.request<Room>('PATCH', roomPath(room), body);
  }

  /** Deletes the room and its messages (owner or admin). */
  delete(room: string): Promise<void> {
    return this.auth.request<void>('DELETE', roomPath(room));
  }

  /** A page of history over REST, oldest first. */
  messages(room: string, query: HistoryQuery = {}): Promise<MessagePage> {
    const search = new URLSearchParams();
    if (query.before) search.set('before', query.before);
    if (query.limit !== undefined) search.set('limit', String(query.limit));
    const qs = search.toString();
    return this.auth.request<MessagePage>('GET', roomPath(room, `/messages${qs ? `?${qs}` : ''}`));
  }

  async members(room: string): Promise<Member[]> {
    return (await this.auth.request<MemberList>('GET', roomPath(room, '/members'))).members;
  }

  /** Adds a member (owner, moderators), or grants / takes `moderator` (owner only). */
  putMember(room: string, userId: string, body: PutMemberBody = {}): Promise<Member> {
    return this.auth.request<Member>('PUT', roomPath(room, `/members/${userPath(userId)}`), body);
  }

  /** Removes a member, or leaves (your own id). */
  removeMember(room: string, userId: string): Promise<void> {
    return this.auth.request<void>('DELETE', roomPath(room, `/members/${userPath(userId)}`));
  }

  async bans(room: string): Promise<Ban[]> {
    return (await this.auth.request<BanList>('GET', roomPath(room, '/bans'))).bans;
  }

  /** Bans (and removes) a user, until `until` (ISO time) or until unbanned. */
  ban(room: string, userId: string, body: PutBanBody = {}): Promise<void> {
    return this.auth.request<void>('PUT', roomPath(room, `/bans/${userPath(userId)}`), body);
  }

  unban(room: string, userId: string): Promise<void> {
    return this.auth.request<void>('DELETE', roomPath(room, `/bans/${userPath(userId)}`));
  }
}

/** People by name (bearer), for pickers: nobody types a user id. */
export class UsersApi {
  constructor(private readonly auth: Auth) {}

  /** At most 20 users whose displayName starts with `q` (1–50 characters, case-insensitive). */
  async search(q: string): Promise<UserSummary[]> {
    return (await this.auth.request<UserList>('GET', `/users?${new URLSearchParams({ q }).toString()}`)).users;
  }

  get(userId: string): Promise<UserSummary> {
    return this.auth.request<UserSummary>('GET', `/users/${userPath(userId)}`);
  }
}

/**
 * Two-factor sign-in (TOTP) for the signed-in user. Enabling and disabling end every other
 * session of the user (`two_factor_changed`); this one stays, and `auth.user` is read again.
 */
export class TwoFactorApi {
  constructor(private readonly auth: Auth) {}

  /** A new pending secret (replaces a pending one); 409 once enabled. */
  setup(): Promise<TwoFactorSetup> {
    return this.auth.request<TwoFactorSetup>('POST', '/auth/2fa/setup');
  }

  /** Turns it on with a code of the pending secret: the 10 recovery codes, shown once. */
  async enable(code: string): Promise<string[]> {
    const { recoveryCodes } = await this.auth.request<RecoveryCodes>('POST', '/auth/2fa/enable', { code });
    await this.refreshUser();
    return recoveryCodes;
  }

  /** `code` is a TOTP code or a recovery code. */
  async disable(body: Static<typeof TwoFactorDisableBody>): Promise<void> {
    await this.auth.request<void>('POST', '/auth/2fa/disable', body);
    await this.refreshUser();
  }

  private async refreshUser(): Promise<User | undefined> {
    return this.auth.me().catch(() => undefined);
  }
}
