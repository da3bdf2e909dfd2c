import { timingSafeEqual } from 'node:crypto';

export type MetricsAccess = 'allowed' | 'missing' | 'invalid';

/**
 * Whether a scrape may read the metrics: with a METRICS_TOKEN, only a request presenting it as
 * `Authorization: Bearer <token>` (compared in constant time); without one, every request.
 */
export function metricsAccess(token: string | null, authorization: string | undefined): MetricsAccess {
  if (token === null) return 'allowed';
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) return 'missing';
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'allowed' : 'invalid';
}
