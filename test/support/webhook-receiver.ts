import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { Value } from '@sinclair/typebox/value';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { WEBHOOK_DATA, WebhookEvent, WebhookType } from '../../src/protocol';
import { sleep } from './clients';

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validators = new Map(Object.entries(WEBHOOK_DATA).map(([type, schema]) => [type, ajv.compile(JSON.parse(JSON.stringify(schema)) as object)]));

/** How the receiver answers one request. */
export type Behaviour = 'ok' | 'error' | 'slow' | 'redirect';

export interface Received {
  event: WebhookEvent;
  /** Whether the Parley-Signature header verifies (checked here with node:crypto, not Parley's code). */
  signed: boolean;
  /** The signature's `t`, unix seconds. */
  t: number;
  contentType: string | undefined;
  answered: Behaviour;
  at: number;
}

/**
 * A webhook receiver in the test process: a real HTTP server that records every request,
 * verifies its signature independently and answers as `behave` says (a redirect points at
 * itself, so following it would show up as a second request of the same event).
 */
export class WebhookReceiver {
  readonly received: Received[] = [];
  /** Bodies outside the contract (src/protocol/webhooks.ts): a test asserts this stays empty. */
  readonly violations: string[] = [];
  behave: (event: WebhookEvent, attempt: number) => Behaviour = () => 'ok';
  /** How long an `ok` answer takes. */
  latencyMs = 0;
  private server!: Server;
  url = '';

  constructor(readonly secret: string = 'webhook-secret-0123456789abcdefghijklmnop') {}

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  of<T extends WebhookType>(type: T): Array<Extract<WebhookEvent, { type: T }>> {
    return this.received.filter((r) => r.event.type === type && r.answered === 'ok').map((r) => r.event as Extract<WebhookEvent, { type: T }>);
  }

  attempts(id: string): Received[] {
    return this.received.filter((r) => r.event.id === id);
  }

  async waitFor(predicate: () => boolean, ms = 10_000, what = 'webhooks'): Promise<void> {
    const until = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > until)
        throw new Error(`timed out waiting for ${what}; received: ${JSON.stringify(this.received.map((r) => [r.event.type, r.answered]))}`);
      await sleep(50);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const event = JSON.parse(raw) as WebhookEvent;
    const header = String(req.headers['parley-signature'] ?? '');
    const parts = Object.fromEntries(header.split(',').map((p) => p.split('=') as [string, string]));
    const expected = createHmac('sha256', this.secret).update(`${parts.t}.${raw}`).digest();
    const given = Buffer.from(parts.v1 ?? '', 'hex');
    const signed = given.length === expected.length && timingSafeEqual(given, expected);
    // valid for its type, and nothing beyond the schema's fields (Clean would remove it)
    const schema = WEBHOOK_DATA[event.type];
    const valid = schema !== undefined && validators.get(event.type)?.(event.data) === true;
    if (!valid || JSON.stringify(Value.Clean(schema, structuredClone(event.data))) !== JSON.stringify(event.data)) this.violations.push(raw);
    const answered = this.behave(event, this.attempts(event.id).length + 1);
    this.received.push({ event, signed, t: Number(parts.t), contentType: req.headers['content-type'], answered, at: Date.now() });
    if (answered === 'ok' && this.latencyMs > 0) setTimeout(() => res.writeHead(204).end(), this.latencyMs);
    else if (answered === 'ok') res.writeHead(204).end();
    else if (answered === 'error') res.writeHead(500).end('broken');
    else if (answered === 'redirect') res.writeHead(307, { location: this.url }).end();
    else setTimeout(() => res.writeHead(204).end(), 6000).unref();
  }
}
