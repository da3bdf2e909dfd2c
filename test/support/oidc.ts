import { ChildProcess, fork } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, JsonWebKey, KeyObject } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';

const FIXTURE = join(__dirname, '..', 'fixtures', 'oidc-provider.mjs');

export type ProviderAlg = 'RS256' | 'PS256' | 'ES256' | 'EdDSA';

export interface ProviderClient {
  client_id: string;
  /** claims the provider adds to this client's access tokens (name, email, roles …) */
  claims?: Record<string, unknown>;
  alg?: ProviderAlg;
  /** access token lifetime in seconds */
  ttl?: number;
  /** a public client of the authorization code flow (PKCE) returning to this URI */
  redirectUri?: string;
}

export type PrivateJwk = JsonWebKey & { kid: string; alg: ProviderAlg };

export interface OidcProvider {
  issuer: string;
  port: number;
  /** the provider's private signing keys (to forge tokens signed by a key it really publishes) */
  keys: PrivateJwk[];
  /** A JWT access token from the provider: client credentials grant with a resource indicator. */
  token(clientId: string, resource?: string): Promise<string>;
  /** Paths the provider was asked for, in order. */
  requests(): Promise<string[]>;
  stop(): Promise<void>;
}

export const clientSecret = (clientId: string) => `${clientId}-secret-0123456789abcdef`;

/**
 * Starts oidc-provider (ESM, so in a child process of its own: test/fixtures/oidc-provider.mjs).
 * `port` and `keys` let a test restart "the same" provider, e.g. with a rotated key.
 */
export async function startOidcProvider(
  clients: ProviderClient[],
  options: { port?: number; keys?: PrivateJwk[]; accounts?: Record<string, Record<string, unknown>> } = {},
): Promise<OidcProvider> {
  const fixture = {
    port: options.port ?? 0,
    keys: options.keys,
    accounts: options.accounts,
    clients: clients.map((client) => ({
      client_id: client.client_id,
      ...(client.redirectUri
        ? {
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            redirect_uris: [client.redirectUri],
            token_endpoint_auth_method: 'none',
          }
        : {
            client_secret: clientSecret(client.client_id),
            grant_types: ['client_credentials'],
            redirect_uris: [],
            response_types: [],
            token_endpoint_auth_method: 'client_secret_post',
          }),
      x_claims: client.claims,
      x_alg: client.alg,
      x_ttl: client.ttl,
    })),
  };
  const child: ChildProcess = fork(FIXTURE, [], {
    env: { ...process.env, OIDC_FIXTURE: JSON.stringify(fixture) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = await new Promise<{ issuer: string; port: number; keys: PrivateJwk[] }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as { issuer: string; port: number; keys: PrivateJwk[] }));
    child.once('exit', (code) => reject(new Error(`oidc-provider exited (${code}):\n${stderr}`)));
  });
  return {
    ...ready,
    async token(clientId, resource = 'https://parley.test') {
      const response = await fetch(`${ready.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: clientSecret(clientId),
          resource,
          scope: 'chat',
        }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!response.ok || !body.access_token) throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    requests: () =>
      new Promise((resolve) => {
        child.once('message', (message) => resolve((message as { stats: { requests: string[] } }).stats.requests));
        child.send({ cmd: 'stats' });
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

export const privateKeyOf = (jwk: PrivateJwk): KeyObject => createPrivateKey({ key: jwk, format: 'jwk' });
export const publicPemOf = (jwk: PrivateJwk): string => createPublicKey(privateKeyOf(jwk)).export({ format: 'pem', type: 'spki' }).toString();

export const decodeParts = (token: string) => {
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>);
  return { header, payload };
};

/** Re-signs `claims` with a key of the provider (jsonwebtoken: RS256, PS256, ES256). */
export function forge(claims: Record<string, unknown>, key: PrivateJwk, header: Record<string, unknown> = {}): string {
  const defined = Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
  return jwt.sign(defined, privateKeyOf(key), {
    algorithm: key.alg as jwt.Algorithm,
    header: { alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header } as jwt.JwtHeader,
  });
}

/**
 * What a browser does between leaving for the provider and coming back: follows redirects
 * with the provider's cookies and submits its development sign-in and consent forms.
 * Returns the URL the provider sends the browser back to (redirect URI with code and state).
 */
export async function browseSignIn(authorizationUrl: string, login: string, redirectUri: string): Promise<string> {
  const cookies = new Map<string, string>();
  let url = authorizationUrl;
  let form: Record<string, string> | null = null;
  for (let step = 0; step < 20; step++) {
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form) : undefined,
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const at = pair.indexOf('=');
      cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    form = null;
    const location = response.headers.get('location');
    if (location) {
      url = new URL(location, url).toString();
      if (url.startsWith(redirectUri)) return url;
      continue;
    }
    const page = await response.text();
    const prompt = /name="prompt" value="(\w+)"/.exec(page)?.[1];
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    if (!prompt || !action) throw new Error(`unexpected page from the provider (${response.status}): ${page.slice(0, 300)}`);
    url = new URL(action, url).toString();
    form = prompt === 'login' ? { prompt, login, password: 'any' } : { prompt };
  }
  throw new Error('the sign-in did not come back');
}

/** A new signing key for the provider (e.g. to restart it with a rotated key). */
export function newProviderKey(alg: 'ES256', kid: string): PrivateJwk {
  return { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' } as PrivateJwk;
}

/** A key the provider never published. */
export function strangerKey(): PrivateJwk {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...pair.privateKey.export({ format: 'jwk' }), kid: 'stranger-key', alg: 'RS256' };
}

/** An HTTP server that records every request (a URL a token might point at). */
export async function startTrap(): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A server that accepts connections and never answers (a JWKS endpoint that hangs). */
export async function startSilentServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(() => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
