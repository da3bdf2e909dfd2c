import { Parser } from '@asyncapi/parser';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { ClientEventSpec, NAMESPACES, ServerEventSpec } from '../src/protocol';
import { asyncApiKey } from '../src/protocol/asyncapi';
import { appPerSuite } from './support/app';
import { connect, login, refusal, register } from './support/clients';

/**
 * The published documents against the contract (src/protocol) and the running server: the
 * OpenAPI document lints clean, the AsyncAPI document validates and carries every event of the
 * protocol with the protocol's own schemas, and every client event of the protocol has a handler.
 */

/** Events of the protocol whose server side has not landed yet; each must have no handler (so this list shrinks as they land). */
const PENDING = new Set<string>([]);
const PENDING_NAMESPACES = new Set<string>([]);

describe('API documents', () => {
  const suite = appPerSuite({ WS_RATE_LIMIT: '1000/1s' });

  it('serves an OpenAPI 3.1 document that @redocly/cli lints without errors', async () => {
    const res = await request(suite.t.url).get('/docs/json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    const file = join(mkdtempSync(join(tmpdir(), 'parley-openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(res.body));
    const lint = await promisify(execFile)(process.execPath, [require.resolve('@redocly/cli/bin/cli.js'), 'lint', file, '--format=json'], {
      maxBuffer: 16 * 1024 * 1024,
    }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
    const report = JSON.parse(lint.stdout.slice(lint.stdout.indexOf('{'))) as {
      totals: { errors: number };
      problems: Array<{ ruleId: string; message: string; severity: string }>;
    };
    expect(report.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(report.totals.errors).toBe(0);
    // public routes need no token; the others do, and document 401
    expect(res.body.paths['/auth/login'].post.security).toEqual([]);
    expect(res.body.paths['/auth/me'].get.security).toEqual([{ bearer: [] }]);
    expect(res.body.paths['/auth/me'].get.responses['401']).toBeDefined();
    // every server API operation takes an API key, and only that
    const apiOperations = Object.entries(res.body.paths as Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>)
      .filter(([path]) => path.startsWith('/api/v1/'))
      .flatMap(([path, operations]) => Object.entries(operations).map(([method, operation]) => ({ name: `${method} ${path}`, operation })));
    expect(apiOperations.map((o) => o.name).sort()).toEqual(
      [
        'post /api/v1/rooms/{room}/messages',
        'get /api/v1/rooms/{room}/messages',
        'delete /api/v1/rooms/{room}/messages/{id}',
        'post /api/v1/users/{id}/notifications',
        'post /api/v1/channels/{channel}/publications',
        'post /api/v1/channels/{channel}/tokens',
        'put /api/v1/users/{id}/block',
        'delete /api/v1/users/{id}/block',
        'put /api/v1/users/{id}/role',
        'get /api/v1/rooms/{room}/presence',
        'get /api/v1/stats',
      ].sort(),
    );
    for (const { operation } of apiOperations) {
      expect(operation.security).toEqual([{ apiKey: [] }]);
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['401', '403', '429']));
    }
    expect(res.body.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  }, 60_000);

  it('serves an AsyncAPI document that the AsyncAPI parser accepts, with every protocol event and its schema', async () => {
    const res = await request(suite.t.url).get('/docs/asyncapi.json').expect(200);
    const { diagnostics } = await new Parser().parse(JSON.stringify(res.body));
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    const messages = res.body.components.messages as Record<string, { name: string; payload: unknown }>;
    for (const ns of NAMESPACES) {
      expect(res.body.channels[ns.path.slice(1)].address).toBe(ns.path);
      for (const [event, spec] of Object.entries(ns.client) as Array<[string, ClientEventSpec]>) {
        const message = messages[asyncApiKey(ns, event)];
        expect(message?.name).toBe(event);
        expect(message.payload).toEqual(JSON.parse(JSON.stringify(spec.payload)));
      }
      for (const [event, spec] of Object.entries(ns.server) as Array<[string, ServerEventSpec]>) {
        const message = messages[`${asyncApiKey(ns, event)}.emitted`];
        expect(message?.name).toBe(event);
        expect(message.payload).toEqual(JSON.parse(JSON.stringify(spec.payload)));
      }
    }
  });

  it('has a handler for every client event of the protocol', async () => {
    const user = await register(suite.t.url);
    await suite.t.makeAdmin(user.user.email);
    const { accessToken } = await login(suite.t.url, user.user.email);
    const unanswered: string[] = [];
    for (const ns of NAMESPACES) {
      if (PENDING_NAMESPACES.has(ns.path)) {
        expect(await refusal(connect(suite.t.url, ns.path as '/live', { token: accessToken }))).toMatchObject({ message: 'Invalid namespace' });
        continue;
      }
      const socket = await connect(suite.t.url, ns.path as '/chat', { token: accessToken });
      for (const event of Object.keys(ns.client)) {
        // a payload no handler accepts: a handler answers (VALIDATION_FAILED), no handler means no answer
        const answered = await socket
          .timeout(1000)
          .emitWithAck(event, { 'not-a-field': true })
          .then(
            () => true,
            () => false,
          );
        if (answered === PENDING.has(`${ns.path} ${event}`))
          unanswered.push(`${ns.path} ${event}: ${answered ? 'handled but still listed as pending' : 'no handler'}`);
      }
      socket.close();
    }
    expect(unanswered).toEqual([]);
  }, 60_000);
});
