import { PerMinuteRate } from './per-minute';

describe('PerMinuteRate', () => {
  it('is the growth of the total over the last 60 samples', () => {
    const rate = new PerMinuteRate();
    expect(rate.perMinute()).toBe(0);
    for (let second = 1; second <= 30; second++) rate.sample(second * 2);
    expect(rate.perMinute()).toBe(60);
    for (let second = 31; second <= 120; second++) rate.sample(60);
    expect(rate.perMinute()).toBe(0);
    for (let second = 1; second <= 90; second++) rate.sample(60 + second);
    expect(rate.perMinute()).toBe(60);
  });
});
