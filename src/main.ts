import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import pino from 'pino';
import { boot, Boot, createAppFrom } from './app.factory';
import { DependencyUnreachableError } from './startup/wait-for';
import { ConfigError } from './config/app-config';
import { Readiness } from './health/readiness';
import { startStartupProbe } from './health/startup-probe';

/** Past the grace period, the drain itself (commit queued messages, close sockets) gets this long. */
const DRAIN_LIMIT_MS = 10_000;

async function start(parley: Boot): Promise<void> {
  const { config } = parley;
  const probe = await startStartupProbe(config.port);
  let app;
  try {
    app = await createAppFrom(parley);
  } finally {
    await probe.close();
  }
  await app.listen(config.port);
  const logger = new Logger('Shutdown');
  const readiness = app.get(Readiness);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    // SIGTERM (orchestrators, docker stop): readiness answers 503 for SHUTDOWN_GRACE while
    // everything still works, so the load balancer stops routing here before sockets close.
    // SIGINT (Ctrl-C at a terminal) has no load balancer to wait for.
    const graceMs = signal === 'SIGTERM' ? config.shutdownGraceMs : 0;
    readiness.drain();
    logger.log(`${signal}: draining; readiness answers 503 for ${graceMs} ms, then sockets close`);
    setTimeout(() => {
      process.stderr.write(`Parley did not stop within ${(graceMs + DRAIN_LIMIT_MS) / 1000} s; exiting.\n`);
      process.exit(1);
    }, graceMs + DRAIN_LIMIT_MS).unref();
    setTimeout(() => {
      // Queued messages are committed and acknowledged, sockets closed so clients reconnect
      // elsewhere; then the signal is raised again, so the process ends by it.
      app.close().then(
        () => {
          process.removeAllListeners('SIGTERM').removeAllListeners('SIGINT');
          process.kill(process.pid, signal);
        },
        (error: unknown) => {
          logger.error(`Shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
          process.exit(1);
        },
      );
    }, graceMs);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop(signal));
  new Logger('Bootstrap').log(
    `Parley listening on http://localhost:${config.port} (${config.database.kind}${config.redisUrl ? ' + redis' : ''}, node ${config.nodeId})`,
  );
}

/**
 * One JSON line in production (what log collectors read), a plain message otherwise. A
 * configuration problem or an unreachable dependency is a message, not a stack trace.
 */
function reportFailure(error: unknown, parley: Boot | null): void {
  const expected = error instanceof ConfigError || error instanceof DependencyUnreachableError;
  const production = parley ? parley.config.nodeEnv === 'production' : error instanceof ConfigError && error.production;
  if (production) {
    // Its own synchronous logger: the root one may be silent (LOG_LEVEL) and the process exits next.
    const log = pino({ base: parley ? { node: parley.config.nodeId } : {} }, pino.destination({ fd: 2, sync: true }));
    const fields = error instanceof DependencyUnreachableError ? { unreachable: error.dependency } : expected ? {} : { err: error };
    log.fatal(fields, `Parley failed to start: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  const message = expected ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`Parley failed to start.\n${message}\n`);
}

let parley: Boot | null = null;
boot()
  .then((booted) => start((parley = booted)))
  .catch((error: unknown) => {
    reportFailure(error, parley);
    process.exit(1);
  });
