import type { Role } from '../protocol';

/** Who is calling, decoded from a verified access token (REST `request.user`, `socket.data.user`). */
export type Principal = SessionPrincipal | ExternalPrincipal;

interface PrincipalBase {
  id: string;
  role: Role;
  displayName: string;
  emailVerified: boolean;
  /** access token expiry, ms since epoch */
  expiresAt: number;
}

/** A Parley access token: it belongs to a session, which may end. */
export interface SessionPrincipal extends PrincipalBase {
  kind: 'session';
  sid: string;
}

/** An access token of the external identity provider: no Parley session behind it. */
export interface ExternalPrincipal extends PrincipalBase {
  kind: 'external';
  sid: null;
}
