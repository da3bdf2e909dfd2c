/**
 * When an event that failed its `attempts`-th attempt (1 = the first) is tried again, or null
 * when it is dropped: one more attempt per wait in `delays` (API.md: 10 s, 1 m, 5 m, 30 m, 2 h).
 */
export function nextAttemptAt(attempts: number, delays: readonly number[], now: number): number | null {
  const wait = delays[attempts - 1];
  return wait === undefined ? null : now + wait;
}
