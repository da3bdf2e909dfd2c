import fc from 'fast-check';
import { Backoff } from './backoff';

describe('Backoff (full jitter)', () => {
  it('waits a uniform share of a ceiling that doubles up to the cap', () => {
    const top = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
    expect([0, 1, 2, 3, 4, 5].map(() => top.next())).toEqual([99, 199, 399, 799, 999, 999]);
    const bottom = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0 });
    expect([0, 1, 2].map(() => bottom.next())).toEqual([0, 0, 0]);
  });

  it('never leaves [0, ceiling) for any random draw and attempt', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5000 }),
        fc.integer({ min: 1, max: 120_000 }),
        fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 40 }),
        (initialMs, maxMs, draws) => {
          let i = 0;
          const backoff = new Backoff({ initialMs, maxMs, random: () => draws[i++ % draws.length] });
          for (let n = 0; n < draws.length; n++) {
            const wait = backoff.next();
            expect(wait).toBeGreaterThanOrEqual(0);
            expect(wait).toBeLessThanOrEqual(Math.min(maxMs, initialMs * 2 ** n));
          }
        },
      ),
    );
  });

  it('spreads a crowd: waits of many clients at the same attempt are not bunched', () => {
    const waits = Array.from({ length: 1000 }, () => {
      const backoff = new Backoff({ initialMs: 1000, maxMs: 30_000 });
      backoff.next();
      backoff.next();
      return backoff.next(); // third attempt: ceiling 4000
    });
    const buckets = [0, 0, 0, 0];
    for (const wait of waits) buckets[Math.floor(wait / 1000)]++;
    // Uniform over [0, 4000): each quarter holds about 250 of 1000.
    for (const count of buckets) expect(count).toBeGreaterThan(150);
    expect(Math.max(...waits)).toBeLessThan(4000);
  });

  it('starts over after reset and counts attempts', () => {
    const backoff = new Backoff({ initialMs: 10, random: () => 0.5 });
    backoff.next();
    backoff.next();
    expect(backoff.attempts).toBe(2);
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.next()).toBe(5);
  });
});
