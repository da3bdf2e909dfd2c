import { Injectable } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Parley's version (package.json) and, in a build, the commit it was built from (dist/build-info.json). */
function buildInfo(): { version: string; commit?: string } {
  const read = (path: string): Record<string, unknown> | null => {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch {
      return null;
    }
  };
  const version = read(join(__dirname, '..', '..', 'package.json'))?.version;
  const commit = read(join(__dirname, '..', 'build-info.json'))?.commit;
  return { version: typeof version === 'string' ? version : 'unknown', ...(typeof commit === 'string' ? { commit } : {}) };
}

/** One registry per app instance (tests run several apps in one process). */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequestDuration = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    // Up to 30 s: a login queued behind the bcrypt threads is answered 503 after about 5 s.
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 7.5, 10, 30],
    registers: [this.registry],
  });

  readonly socketsConnected = new Gauge({
    name: 'parley_ws_connected_sockets',
    help: 'Socket.IO sockets connected to this node, by namespace',
    labelNames: ['namespace'] as const,
    registers: [this.registry],
  });

  readonly handshakesRefused = new Counter({
    name: 'parley_ws_handshakes_refused_total',
    help: 'Socket.IO handshakes refused, by namespace and code',
    labelNames: ['namespace', 'code'] as const,
    registers: [this.registry],
  });

  readonly wsEvents = new Counter({
    name: 'parley_ws_events_total',
    help: 'Socket.IO client events handled, by event and outcome (ok or error code)',
    labelNames: ['event', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly messagesStored = new Counter({
    name: 'parley_messages_stored_total',
    help: 'Chat messages written to the database',
    registers: [this.registry],
  });

  readonly mailSent = new Counter({
    name: 'parley_mail_total',
    help: 'Mail delivery attempts by outcome (sent, retry, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly webhooks = new Counter({
    name: 'parley_webhooks_total',
    help: 'Webhook delivery attempts by outcome (delivered, failed: retried later, dropped: the last attempt failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly webhookQueueDepth = new Gauge({
    name: 'parley_webhook_queue_depth',
    help: 'Webhook events stored and not delivered yet (waiting, due or being retried), over every node; counted up to 100000 (this many or more)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    const { version, commit } = buildInfo();
    new Gauge({
      name: 'parley_build_info',
      help: 'Always 1; the labels say which Parley (version, commit when built from git) runs on which Node.js',
      labelNames: commit ? ['version', 'node', 'commit'] : ['version', 'node'],
      registers: [this.registry],
    }).set({ version, node: process.version, ...(commit ? { commit } : {}) }, 1);
  }
}
