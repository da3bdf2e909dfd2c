import { GroupCommitQueue } from './group-commit-queue';

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommitQueue', () => {
  it('commits a burst as one batch, at most maxBatch at a time, one batch at a time', async () => {
    const batches: number[][] = [];
    let inFlight = 0;
    const queue = new GroupCommitQueue<number>(3, async (batch) => {
      inFlight++;
      expect(inFlight).toBe(1);
      batches.push(batch);
      await turn();
      inFlight--;
    });
    for (let i = 0; i < 7; i++) queue.push(i);
    expect(batches).toEqual([]); // nothing before the next turn: the burst gathers first
    await queue.drain();
    expect(batches).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });

  it('skips entries that are no longer live, and puts re-queued ones first', async () => {
    const batches: string[][] = [];
    const dead = new Set(['b']);
    let requeued = false;
    const queue = new GroupCommitQueue<string>(
      10,
      async (batch) => {
        batches.push(batch);
        if (!requeued) {
          requeued = true;
          queue.pushFront(['a']);
          queue.push('d');
        }
      },
      (entry) => !dead.has(entry),
    );
    for (const entry of ['a', 'b', 'c']) queue.push(entry);
    await queue.drain();
    expect(batches).toEqual([
      ['a', 'c'],
      ['a', 'd'],
    ]);
  });
});
