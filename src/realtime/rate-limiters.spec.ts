import { FixedWindowLimiter, TokenBucket } from './rate-limiters';

describe('TokenBucket', () => {
  it('allows a burst of `limit`, then refills at limit per window', () => {
    const bucket = new TokenBucket({ limit: 3, windowMs: 1000 });
    const realNow = performance.now();
    expect([1, 2, 3, 4].map(() => bucket.take(realNow))).toEqual([true, true, true, false]);
    expect(bucket.take(realNow + 200)).toBe(false); // 0.6 of a token
    expect(bucket.take(realNow + 340)).toBe(true); // > 1 token after 1/3 s
    expect(bucket.take(realNow + 340)).toBe(false);
    expect([1, 2, 3, 4].map(() => bucket.take(realNow + 10_000))).toEqual([true, true, true, false]);
  });
});

describe('FixedWindowLimiter', () => {
  it('counts per key within a window and starts over after it', () => {
    const limiter = new FixedWindowLimiter({ limit: 2, windowMs: 1000 });
    expect([limiter.hit('a', 0), limiter.hit('a', 10), limiter.hit('a', 20)]).toEqual([true, true, false]);
    expect(limiter.hit('b', 20)).toBe(true);
    expect(limiter.hit('a', 1000)).toBe(true);
  });
});
