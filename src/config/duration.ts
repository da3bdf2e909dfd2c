const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `250ms`, `30s`, `15m`, `1h`, `7d` into milliseconds; returns null for anything else. */
export function parseDurationMs(text: string): number | null {
  const match = /^(\d+)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return Number.isSafeInteger(value) && value > 0 ? value : null;
}

export interface RateLimit {
  limit: number;
  windowMs: number;
}

/** Parses `10/60s` (10 attempts per 60 seconds). */
export function parseRateLimit(text: string): RateLimit | null {
  const match = /^(\d+)\/(.+)$/.exec(text.trim());
  if (!match) return null;
  const limit = Number(match[1]);
  const windowMs = parseDurationMs(match[2]);
  if (!Number.isSafeInteger(limit) || limit < 1 || windowMs === null) return null;
  return { limit, windowMs };
}
