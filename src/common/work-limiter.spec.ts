import { WorkLimiter } from './work-limiter';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};
const flush = () => new Promise((r) => setImmediate(r));

describe('WorkLimiter', () => {
  it('runs at most `concurrency` tasks at once and the rest in arrival order', async () => {
    const limiter = new WorkLimiter(2, 10);
    const gates = Array.from({ length: 5 }, deferred);
    const started: number[] = [];
    const done = gates.map((gate, i) =>
      limiter.run(async () => {
        started.push(i);
        await gate.promise;
        return i;
      }),
    );
    await flush();
    expect(started).toEqual([0, 1]);
    gates[1].resolve();
    await flush();
    expect(started).toEqual([0, 1, 2]);
    gates[0].resolve();
    gates[2].resolve();
    await flush();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    gates[3].resolve();
    gates[4].resolve();
    await expect(Promise.all(done)).resolves.toEqual([0, 1, 2, 3, 4]);
  });

  it('refuses work beyond the waiting line with UNAVAILABLE, and frees slots after failures', async () => {
    const limiter = new WorkLimiter(1, 1);
    const gate = deferred();
    const first = limiter.run(() => gate.promise.then(() => Promise.reject(new Error('boom'))));
    const second = limiter.run(async () => 'second');
    await expect(limiter.run(async () => 'third')).rejects.toEqual(expect.objectContaining({ code: 'UNAVAILABLE' }));
    gate.resolve();
    await expect(first).rejects.toThrow('boom');
    await expect(second).resolves.toBe('second');
    await expect(limiter.run(async () => 'again')).resolves.toBe('again');
  });
});
