import { Agent as HttpAgent, ClientRequest, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** A receiver's answer body is read (so keep-alive can reuse the connection) up to this much, then cut. */
const MAX_ANSWER_BYTES = 64 * 1024;

export type PostResult = { status: number } | { error: string; aborted: boolean };

/**
 * POSTs to one URL over kept-alive connections (node:http: a fifth of fetch's CPU per request
 * here). Redirects are never followed (node:http does not). Every request ends within
 * `timeoutMs`, counted from its start; `abortAll` ends those in flight (shutdown).
 */
export class WebhookClient {
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;
  private readonly inFlight = new Set<ClientRequest>();
  private aborting = false;

  constructor(
    private readonly url: URL,
    maxSockets: number,
    private readonly timeoutMs: number,
  ) {
    const https = url.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets }) : new HttpAgent({ keepAlive: true, maxSockets });
    this.send = https ? httpsRequest : httpRequest;
  }

  post(body: string, headers: Record<string, string>): Promise<PostResult> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: PostResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(req);
        resolve(result);
      };
      const req = this.send(this.url, {
        method: 'POST',
        agent: this.agent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.inFlight.add(req);
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        let read = 0;
        res.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read > MAX_ANSWER_BYTES) res.destroy();
        });
        // the status decides; the rest of the answer only frees the connection
        res.on('end', () => finish({ status }));
        res.on('close', () => finish({ status }));
        res.on('error', () => finish({ status }));
      });
      req.on('error', (error) => finish({ error: error.message, aborted: this.aborting }));
      req.end(body);
    });
  }

  /** Ends every request in flight (they report `aborted`) and the kept-alive connections. */
  abortAll(): void {
    this.aborting = true;
    for (const req of this.inFlight) req.destroy(new Error('the node is stopping'));
    this.agent.destroy();
  }
}
