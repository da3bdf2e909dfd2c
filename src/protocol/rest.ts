import { Type } from '@sinclair/typebox';
import { BodyField, ClientMsgIdField, MessageIdField } from './chat';
import { API_KEY_SCOPES, LIMITS, NOTIFICATION_TYPE } from './names';
import { Ban, Member, Message, NodeStats, Room, RoomEntry, RoleSchema, User, UserSummary, VisibilitySchema } from './models';
import { Id, IsoTime, Shape, Static, Strict } from './schema';

/** REST bodies, queries and answers (API.md). Field rules that need more than a schema are noted. */

// ---- fields ---------------------------------------------------------------------------------

/** Any JSON up to 16 KiB, measured as the UTF-8 bytes of its JSON (`x-json-bytes`). */
export const JsonData = Type.Unknown({ 'x-json-bytes': LIMITS.apiFieldBytes, description: 'any JSON, up to 16 KiB (UTF-8 bytes of its JSON)' });

/** Trimmed, NFC-normalised and lower-cased by the server before use. */
export const EmailField = Type.String({
  maxLength: 254,
  pattern: '^\\s*[^\\s@]+@[^\\s@]+\\.[^\\s@]+\\s*$',
  description: 'an email address (compared after Unicode NFC and lower case)',
  examples: ['ada@example.com'],
});
/** 8–72 bytes of UTF-8 (bcrypt ignores what follows); `x-utf8-bytes` is that rule for validators. */
export const NewPasswordField = Type.String({
  minLength: 1,
  maxLength: LIMITS.passwordMaxBytes,
  'x-utf8-bytes': { min: LIMITS.passwordMinBytes, max: LIMITS.passwordMaxBytes },
  description: '8–72 bytes of UTF-8',
  examples: ['correct horse battery'],
});
export const PasswordField = Type.String({ minLength: 1, maxLength: 1024 });
export const DisplayNameField = Type.String({
  minLength: 1,
  maxLength: 50,
  pattern: '\\S',
  description: '1–50 characters, not only whitespace',
  examples: ['Ada'],
});
export const TokenField = Type.String({ minLength: 1, maxLength: 4096 });
export const TotpCodeField = Type.String({ pattern: '^\\s*\\d{6}\\s*$', description: '6 digits' });
export const RecoveryCodeField = Type.String({ minLength: 1, maxLength: 64 });
/** durations like `30s`, `15m`, `1h`, `7d` */
export const DurationField = Type.String({ pattern: '^\\d+(ms|s|m|h|d)$' });

/** Every REST error: Nest's shape, all three fields present. */
export const HttpErrorSchema = Shape('HttpError', {
  statusCode: Type.Integer(),
  message: Type.Union([Type.String(), Type.Array(Type.String())], { description: 'one message, or every failing field' }),
  error: Type.String(),
});

// ---- auth -----------------------------------------------------------------------------------

export const RegisterBody = Strict({ email: EmailField, password: NewPasswordField, displayName: DisplayNameField }, { title: 'RegisterBody' });
export const LoginBody = Strict({ email: EmailField, password: PasswordField }, { title: 'LoginBody' });
export const RefreshBody = Strict({ refreshToken: TokenField }, { title: 'RefreshBody' });
export const ChangePasswordBody = Strict({ currentPassword: PasswordField, newPassword: NewPasswordField }, { title: 'ChangePasswordBody' });
export const VerifyEmailBody = Strict({ token: TokenField }, { title: 'VerifyEmailBody' });
export const ForgotPasswordBody = Strict({ email: EmailField }, { title: 'ForgotPasswordBody' });
export const ResetPasswordBody = Strict({ token: TokenField, newPassword: NewPasswordField }, { title: 'ResetPasswordBody' });

export const AuthResponse = Shape('AuthResponse', {
  user: User,
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'access token lifetime, seconds' }),
});
export type AuthResponse = Static<typeof AuthResponse>;

export const MfaChallenge = Shape('MfaChallenge', {
  mfaRequired: Type.Literal(true),
  mfaToken: Type.String(),
  expiresIn: Type.Integer({ description: 'seconds (5 minutes)' }),
});
export type MfaChallenge = Static<typeof MfaChallenge>;
/** `POST /auth/login`: tokens, or the second step when two-factor sign-in is on. */
export const LoginResponse = Type.Union([AuthResponse, MfaChallenge], { title: 'LoginResponse' });
export type LoginResponse = Static<typeof LoginResponse>;

export const SessionInfo = Shape('SessionInfo', {
  id: Id,
  createdAt: IsoTime,
  lastUsedAt: IsoTime,
  userAgent: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean(),
});
export type SessionInfo = Static<typeof SessionInfo>;
export const SessionList = Type.Array(SessionInfo, { title: 'SessionList' });

// ---- two-factor -----------------------------------------------------------------------------

export const TwoFactorSetup = Shape('TwoFactorSetup', { secret: Type.String({ description: 'base32 (RFC 4648)' }), otpauthUrl: Type.String() });
export type TwoFactorSetup = Static<typeof TwoFactorSetup>;
export const TwoFactorEnableBody = Strict({ code: TotpCodeField }, { title: 'TwoFactorEnableBody' });
export const RecoveryCodes = Shape('RecoveryCodes', { recoveryCodes: Type.Array(Type.String(), { minItems: 10, maxItems: 10 }) });
export type RecoveryCodes = Static<typeof RecoveryCodes>;
export const TwoFactorDisableBody = Strict(
  { password: PasswordField, code: Type.String({ minLength: 1, maxLength: 64, description: 'a TOTP code or a recovery code' }) },
  { title: 'TwoFactorDisableBody' },
);
export const LoginSecondStepBody = Type.Union(
  [Strict({ mfaToken: TokenField, code: TotpCodeField }), Strict({ mfaToken: TokenField, recoveryCode: RecoveryCodeField })],
  { title: 'LoginSecondStepBody' },
);
export type LoginSecondStepBody = Static<typeof LoginSecondStepBody>;

// ---- rooms and people -----------------------------------------------------------------------

export const HistoryQuery = Strict(
  {
    before: Type.Optional(MessageIdField),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.historyPageMax, default: LIMITS.historyPage })),
  },
  { title: 'HistoryQuery' },
);
export type HistoryQuery = Static<typeof HistoryQuery>;

export const CreateRoomBody = Strict(
  {
    name: Type.String({ minLength: 1, maxLength: 64, description: '1–64 of a-z 0-9 - _, not yet used' }),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    visibility: Type.Optional(VisibilitySchema),
  },
  { title: 'CreateRoomBody' },
);
export type CreateRoomBody = Static<typeof CreateRoomBody>;
export const UpdateRoomBody = Strict(
  { title: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), visibility: Type.Optional(VisibilitySchema), ownerId: Type.Optional(Id) },
  { title: 'UpdateRoomBody' },
);
export type UpdateRoomBody = Static<typeof UpdateRoomBody>;
export const PutMemberBody = Strict(
  { role: Type.Optional(Type.Union([Type.Literal('member'), Type.Literal('moderator')])) },
  { title: 'PutMemberBody' },
);
export type PutMemberBody = Static<typeof PutMemberBody>;
export const PutBanBody = Strict(
  { until: Type.Optional(Type.String({ format: 'date-time' })), reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) },
  { title: 'PutBanBody' },
);
export type PutBanBody = Static<typeof PutBanBody>;

export const RoomList = Shape('RoomList', { rooms: Type.Array(RoomEntry) });
export type RoomList = Static<typeof RoomList>;
export const MemberList = Shape('MemberList', { members: Type.Array(Member) });
export type MemberList = Static<typeof MemberList>;
export const BanList = Shape('BanList', { bans: Type.Array(Ban) });
export type BanList = Static<typeof BanList>;

export const UsersQuery = Strict(
  { q: Type.String({ minLength: 1, maxLength: 50, description: 'displayName prefix, case-insensitive' }) },
  { title: 'UsersQuery' },
);
export const UserList = Shape('UserList', { users: Type.Array(UserSummary, { maxItems: LIMITS.userSearch }) });
export type UserList = Static<typeof UserList>;

export const OnlineList = Shape('OnlineList', { online: Type.Array(UserSummary) });
export type OnlineList = Static<typeof OnlineList>;

// ---- server API (/api/v1, API keys) ---------------------------------------------------------

export const ApiKeyScopeSchema = Type.Union(API_KEY_SCOPES.map((s) => Type.Literal(s)));
export const ApiPostMessageBody = Strict({ body: BodyField, clientMsgId: Type.Optional(ClientMsgIdField) }, { title: 'ApiPostMessageBody' });
export const NotificationBody = Strict({ type: Type.String({ pattern: NOTIFICATION_TYPE.source }), data: JsonData }, { title: 'NotificationBody' });
export const PublicationBody = Strict(
  { data: JsonData, idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) },
  { title: 'PublicationBody' },
);
export const PublicationCreated = Shape('PublicationCreated', { channel: Type.String(), offset: Type.Integer({ minimum: 1 }) });
export type PublicationCreated = Static<typeof PublicationCreated>;
export const ChannelTokenBody = Strict(
  { userId: Id, ttl: Type.Optional(Type.String({ pattern: DurationField.pattern, description: 'a duration from 30s to 24h; default 1h' })) },
  { title: 'ChannelTokenBody' },
);
export const ChannelToken = Shape('ChannelToken', { token: Type.String(), expiresAt: IsoTime });
export type ChannelToken = Static<typeof ChannelToken>;
export const BlockBody = Strict({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) }, { title: 'BlockBody' });
export const RoleBody = Strict({ role: RoleSchema }, { title: 'RoleBody' });
export const ApiStats = Shape('ApiStats', {
  connections: Type.Integer({ minimum: 0 }),
  onlineUsers: Type.Integer({ minimum: 0 }),
  messagesPerMinute: Type.Integer({ minimum: 0 }),
  nodes: Type.Array(NodeStats),
});
export type ApiStats = Static<typeof ApiStats>;

// ---- keys -----------------------------------------------------------------------------------

export const Jwks = Shape('Jwks', {
  keys: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'public JWKs with kid, alg, use: "sig"' }),
});

export type { Message, Room, RoomEntry, Member, Ban, User, UserSummary };
