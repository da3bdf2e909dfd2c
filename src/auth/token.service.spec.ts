import jwt from 'jsonwebtoken';
import { loadAppConfig } from '../config/app-config';
import { AppError } from '../common/errors';
import { TokenService } from './token.service';

const config = loadAppConfig({ JWT_ACCESS_SECRET: 'a'.repeat(40), JWT_REFRESH_SECRET: 'r'.repeat(40), JWT_ACCESS_TTL: '60s' });
const tokens = new TokenService(config);
const subject = { userId: 'u1', sid: 's1', role: 'user' as const, displayName: 'Ada', emailVerified: false };
const errorCode = (fn: () => unknown) => {
  try {
    fn();
    return 'OK';
  } catch (error) {
    return (error as AppError).code;
  }
};

describe('TokenService', () => {
  it('round-trips an access token with its claims', () => {
    const issued = tokens.signAccess(subject);
    const claims = tokens.verifyAccess(issued.token);
    expect(claims).toMatchObject({ sub: 'u1', sid: 's1', role: 'user', name: 'Ada', ev: false, typ: 'access', iss: 'parley', aud: 'parley-clients' });
    expect(claims.exp * 1000).toBe(issued.expiresAt);
    expect(typeof claims.jti).toBe('string');
  });

  it('keeps the two kinds apart', () => {
    const refresh = tokens.signRefresh('u1', 's1');
    expect(errorCode(() => tokens.verifyAccess(refresh.token))).toBe('TOKEN_INVALID');
    expect(errorCode(() => tokens.verifyRefresh(tokens.signAccess(subject).token))).toBe('TOKEN_INVALID');
    const claims = tokens.verifyRefresh(refresh.token);
    expect(claims).toMatchObject({ sub: 'u1', sid: 's1', typ: 'refresh' });
    expect(Buffer.from(claims.sec, 'base64url')).toHaveLength(32);
    expect(refresh.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(tokens.signRefresh('u1', 's1').token).not.toBe(refresh.token);
  });

  it('pins HS256 and reports expiry separately', () => {
    const claims = jwt.decode(tokens.signAccess(subject).token) as jwt.JwtPayload;
    expect(errorCode(() => tokens.verifyAccess(jwt.sign(claims, 'a'.repeat(40), { algorithm: 'HS384' })))).toBe('TOKEN_INVALID');
    const expired = jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 1 }, 'a'.repeat(40));
    expect(errorCode(() => tokens.verifyAccess(expired))).toBe('TOKEN_EXPIRED');
  });
});
