import { parseDurationMs, parseRateLimit } from './duration';

describe('durations and rate limits', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
  ])('parses %s', (text, ms) => expect(parseDurationMs(text)).toBe(ms));

  it.each(['', '15', 'm', '1.5h', '-1s', '0s', '10 s', '1w'])('refuses %p', (text) => expect(parseDurationMs(text)).toBeNull());

  it('parses count/window', () => {
    expect(parseRateLimit('10/60s')).toEqual({ limit: 10, windowMs: 60_000 });
    expect(parseRateLimit('0/1s')).toBeNull();
    expect(parseRateLimit('10/forever')).toBeNull();
  });
});
