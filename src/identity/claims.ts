import { AppError } from '../common/errors';

/** `aud` is the audience or a list that contains it. */
export function hasAudience(aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}

/** `exp` required, `nbf` optional, both without clock tolerance. `what` names the token in messages. */
export function checkTimes(payload: Record<string, unknown>, what: string, nowSeconds = Date.now() / 1000): void {
  const { exp, nbf } = payload;
  if (typeof exp !== 'number' || (nbf !== undefined && typeof nbf !== 'number')) throw new AppError('TOKEN_INVALID', `Invalid ${what}`);
  if (typeof nbf === 'number' && nowSeconds < nbf) throw new AppError('TOKEN_INVALID', `The ${what} is not valid yet`);
  if (nowSeconds >= exp) throw new AppError('TOKEN_EXPIRED', `The ${what} has expired`);
}
