import type { Role } from '../protocol';

/** Who is calling, decoded from a verified access token (REST `request.user`, `socket.data.user`). */
export interface Principal {
  id: string;
  sid: string;
  role: Role;
  displayName: string;
  emailVerified: boolean;
  /** access token expiry, ms since epoch */
  expiresAt: number;
}
