/** A dependency that did not answer within the start-up timeout; main.ts names it and exits 1. */
export class DependencyUnreachableError extends Error {
  override readonly name = 'DependencyUnreachableError';

  constructor(
    readonly dependency: string,
    message: string,
  ) {
    super(message);
  }
}

export interface WaitOptions {
  /** Gives up once this much time has passed since the first attempt. */
  timeoutMs: number;
  /** Whether an error is worth another attempt (a refused connection) or final (a wrong password). */
  retryable: (error: unknown) => boolean;
  log: (line: string) => void;
  /** First pause between attempts; doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const describe = (error: unknown) => (error instanceof Error ? error.message || error.name : String(error));

/**
 * Runs `attempt` until it succeeds, with exponential backoff, logging every failed attempt.
 * Stops at the first non-retryable error (rethrown as is) or once `timeoutMs` has passed
 * (DependencyUnreachableError naming `dependency` and the last error). The last pause is cut
 * so the whole wait stays within the timeout.
 */
export async function waitForDependency<T>(dependency: string, attempt: () => Promise<T>, options: WaitOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const maxDelayMs = options.maxDelayMs ?? 5000;
  const started = now();
  let delayMs = options.initialDelayMs ?? 250;
  for (let n = 1; ; n++) {
    try {
      const result = await attempt();
      if (n > 1) options.log(`${dependency} reachable after ${n} attempts (${((now() - started) / 1000).toFixed(1)} s)`);
      return result;
    } catch (error) {
      if (!options.retryable(error)) throw error;
      const elapsed = now() - started;
      const left = options.timeoutMs - elapsed;
      if (left <= 0) {
        throw new DependencyUnreachableError(
          dependency,
          `${dependency} unreachable: gave up after ${n} attempts in ${(elapsed / 1000).toFixed(1)} s (STARTUP_TIMEOUT): ${describe(error)}`,
        );
      }
      const pause = Math.min(delayMs, left);
      options.log(`Waiting for ${dependency} (attempt ${n} failed: ${describe(error)}); next attempt in ${pause} ms`);
      await sleep(pause);
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND', // a compose service whose container is not up yet has no DNS name
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'ER_SERVER_SHUTDOWN',
]);

/** Errors that say the server is not there (yet), as opposed to a wrong address, password or schema. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  // mysql2 and ioredis wrap some of these; AggregateError holds one per resolved address.
  if (error instanceof AggregateError) return error.errors.some(isConnectionError);
  const cause = (error as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== error && isConnectionError(cause);
}
