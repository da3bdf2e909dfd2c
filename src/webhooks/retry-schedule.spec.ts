import { WEBHOOK_RETRY_DELAYS_MS } from '../config/app-config';
import { nextAttemptAt } from './retry-schedule';

describe('nextAttemptAt', () => {
  it('follows the contract schedule: waits of 10 s, 1 m, 5 m, 30 m and 2 h, then drops (six attempts in all)', () => {
    const now = 1_000_000;
    const waits = [1, 2, 3, 4, 5].map((attempts) => (nextAttemptAt(attempts, WEBHOOK_RETRY_DELAYS_MS, now) as number) - now);
    expect(waits).toEqual([10_000, 60_000, 5 * 60_000, 30 * 60_000, 2 * 60 * 60_000]);
    expect(nextAttemptAt(6, WEBHOOK_RETRY_DELAYS_MS, now)).toBeNull();
  });

  it('takes a shorter schedule (tests) the same way', () => {
    expect(nextAttemptAt(1, [100], 0)).toBe(100);
    expect(nextAttemptAt(2, [100], 0)).toBeNull();
  });
});
