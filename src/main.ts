import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { AppConfig, ConfigError } from './config/app-config';

async function bootstrap(): Promise<void> {
  const app = await createApp();
  const config = app.get(AppConfig);
  await app.listen(config.port);
  // enableShutdownHooks drains on SIGTERM (queued messages are committed and acknowledged,
  // sockets closed so clients reconnect elsewhere); this bounds the whole drain to 10 s.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        process.stderr.write('Parley did not stop within 10 s; exiting.\n');
        process.exit(1);
      }, 10_000).unref();
    });
  }
  new Logger('Bootstrap').log(
    `Parley listening on http://localhost:${config.port} (${config.database.kind}${config.redisUrl ? ' + redis' : ''}, node ${config.nodeId})`,
  );
}

bootstrap().catch((error: unknown) => {
  // Configuration problems get a plain message, not a stack trace.
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`Parley failed to start.\n${message}\n`);
  process.exit(1);
});
