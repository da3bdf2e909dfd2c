import { DependencyUnreachableError, isConnectionError, waitForDependency } from './wait-for';

/** A fake clock: sleeping advances it, so the schedule is checked without waiting. */
function clock() {
  let now = 0;
  const pauses: number[] = [];
  return {
    pauses,
    now: () => now,
    sleep: async (ms: number) => {
      pauses.push(ms);
      now += ms;
    },
  };
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3306'), { code: 'ECONNREFUSED' });

describe('waitForDependency', () => {
  it('retries with doubling pauses, logs each attempt, and returns the first success', async () => {
    const c = clock();
    const lines: string[] = [];
    let calls = 0;
    const result = await waitForDependency(
      'the database',
      async () => {
        if (++calls < 5) throw refused();
        return 'connected';
      },
      { timeoutMs: 60_000, retryable: isConnectionError, log: (line) => lines.push(line), now: c.now, sleep: c.sleep },
    );
    expect(result).toBe('connected');
    expect(c.pauses).toEqual([250, 500, 1000, 2000]);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/Waiting for the database \(attempt 1 failed: connect ECONNREFUSED.*next attempt in 250 ms/);
    expect(lines[4]).toMatch(/the database reachable after 5 attempts/);
  });

  it('caps the pause and gives up at the timeout, naming the dependency', async () => {
    const c = clock();
    const error = await waitForDependency(
      'Redis',
      async () => {
        throw refused();
      },
      { timeoutMs: 20_000, retryable: () => true, log: () => undefined, now: c.now, sleep: c.sleep, maxDelayMs: 4000 },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyUnreachableError);
    expect((error as DependencyUnreachableError).dependency).toBe('Redis');
    expect((error as Error).message).toMatch(/^Redis unreachable: gave up after \d+ attempts in 20\.0 s \(STARTUP_TIMEOUT\): connect ECONNREFUSED/);
    expect(Math.max(...c.pauses)).toBe(4000);
    expect(c.pauses.reduce((a, b) => a + b, 0)).toBe(20_000);
  });

  it('rethrows a non-retryable error at once', async () => {
    const c = clock();
    const denied = Object.assign(new Error('Access denied'), { code: 'ER_ACCESS_DENIED_ERROR' });
    await expect(
      waitForDependency(
        'the database',
        async () => {
          throw denied;
        },
        { timeoutMs: 60_000, retryable: isConnectionError, log: () => undefined, now: c.now, sleep: c.sleep },
      ),
    ).rejects.toBe(denied);
    expect(c.pauses).toEqual([]);
  });
});

describe('isConnectionError', () => {
  it.each([
    [refused(), true],
    [Object.assign(new Error('getaddrinfo ENOTFOUND mariadb'), { code: 'ENOTFOUND' }), true],
    [new AggregateError([refused(), refused()]), true],
    [Object.assign(new Error('wrapped'), { cause: refused() }), true],
    [Object.assign(new Error('Access denied'), { code: 'ER_ACCESS_DENIED_ERROR' }), false],
    [Object.assign(new Error('Unknown database'), { code: 'ER_BAD_DB_ERROR' }), false],
    [new Error('migration failed'), false],
    [null, false],
  ])('%s → %s', (error, expected) => {
    expect(isConnectionError(error)).toBe(expected);
  });
});
