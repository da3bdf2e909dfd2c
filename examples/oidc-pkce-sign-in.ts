/**
 * Sign-in with an external OpenID provider, authorization code + PKCE (RFC 7636, S256), for a
 * browser app such as the demo client: no client secret, no library, only `fetch`,
 * `crypto.subtle` and a storage for the few seconds between leaving for the provider and
 * coming back (the browser's `sessionStorage`). Works the same under Node 20+.
 *
 * Parley accepts the provider's access token as it is (`OIDC_ISSUER` / `OIDC_AUDIENCE`):
 * send it as `Authorization: Bearer …`, as `auth: { token }` at the Socket.IO handshake and
 * in `auth:refresh`. `resource` asks the provider for a token whose `aud` is Parley's
 * (RFC 8707); providers that take an `audience` parameter instead get it via `extraParams`.
 *
 *   const signIn = new PkceSignIn({ issuer, clientId, redirectUri: location.origin + '/', resource }, sessionStorage);
 *   location.assign(await signIn.start());                  // on the sign-in button
 *   const tokens = await signIn.complete(location.href);      // on the page the provider returns to
 */

export interface PkceOptions {
  issuer: string;
  clientId: string;
  redirectUri: string;
  /** scopes to ask for; `openid` is always included */
  scope?: string;
  /** RFC 8707 resource indicator: the audience Parley checks (OIDC_AUDIENCE) */
  resource?: string;
  /** more authorization request parameters (e.g. `{ audience: '…' }` for Auth0) */
  extraParams?: Record<string, string>;
}

export interface PkceStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export interface ProviderTokens {
  accessToken: string;
  /** seconds */
  expiresIn: number;
  refreshToken: string | null;
  idToken: string | null;
}

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
}

const STORAGE_KEY = 'parley.pkce';

export class PkceError extends Error {
  override readonly name = 'PkceError';
}

export class PkceSignIn {
  private discovery: Promise<Discovery> | null = null;

  constructor(
    private readonly options: PkceOptions,
    private readonly storage: PkceStorage,
  ) {}

  /** The provider's authorization URL to send the browser to; remembers the verifier and state. */
  async start(): Promise<string> {
    const { authorization_endpoint } = await this.discover();
    const verifier = randomString(32);
    const state = randomString(16);
    this.storage.setItem(STORAGE_KEY, JSON.stringify({ verifier, state }));
    const url = new URL(authorization_endpoint);
    const params: Record<string, string> = {
      response_type: 'code',
      client_id: this.options.clientId,
      redirect_uri: this.options.redirectUri,
      scope: ['openid', ...(this.options.scope ?? '').split(' ').filter((s) => s && s !== 'openid')].join(' '),
      state,
      code_challenge: await challenge(verifier),
      code_challenge_method: 'S256',
      ...(this.options.resource ? { resource: this.options.resource } : {}),
      ...this.options.extraParams,
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    return url.toString();
  }

  /**
   * Finishes on the URL the provider redirected back to: checks `state` (and `iss` when the
   * provider sends it, RFC 9207), then trades the code and the verifier for tokens. The
   * verifier is used once, whatever happens.
   */
  async complete(callbackUrl: string): Promise<ProviderTokens> {
    const saved = this.storage.getItem(STORAGE_KEY);
    this.storage.removeItem(STORAGE_KEY);
    const params = new URL(callbackUrl).searchParams;
    if (!saved) throw new PkceError('No sign-in in progress');
    const { verifier, state } = JSON.parse(saved) as { verifier: string; state: string };
    if (params.get('state') !== state) throw new PkceError('The sign-in answer does not match the request (state)');
    const error = params.get('error');
    if (error) throw new PkceError(`The provider refused: ${params.get('error_description') ?? error}`);
    const discovery = await this.discover();
    const iss = params.get('iss');
    if (iss !== null && iss !== discovery.issuer) throw new PkceError('The sign-in answer comes from another issuer');
    const code = params.get('code');
    if (!code) throw new PkceError('The provider sent no code');
    return this.token(discovery, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.options.redirectUri,
      client_id: this.options.clientId,
      code_verifier: verifier,
      ...(this.options.resource ? { resource: this.options.resource } : {}),
    });
  }

  /** A new access token from the provider's refresh token (when it issued one). */
  async refresh(refreshToken: string): Promise<ProviderTokens> {
    return this.token(await this.discover(), {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: this.options.clientId,
      ...(this.options.resource ? { resource: this.options.resource } : {}),
    });
  }

  private discover(): Promise<Discovery> {
    this.discovery ??= fetch(`${this.options.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`).then(async (response) => {
      if (!response.ok) throw new PkceError(`Discovery failed (${response.status})`);
      const document = (await response.json()) as Discovery;
      if (document.issuer !== this.options.issuer) throw new PkceError('The discovery document names another issuer');
      return document;
    });
    this.discovery.catch(() => (this.discovery = null));
    return this.discovery;
  }

  private async token(discovery: Discovery, body: Record<string, string>): Promise<ProviderTokens> {
    const response = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(body),
    });
    const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof answer.access_token !== 'string') {
      throw new PkceError(`The token endpoint refused (${response.status}${typeof answer.error === 'string' ? `: ${answer.error}` : ''})`);
    }
    return {
      accessToken: answer.access_token,
      expiresIn: typeof answer.expires_in === 'number' ? answer.expires_in : 0,
      refreshToken: typeof answer.refresh_token === 'string' ? answer.refresh_token : null,
      idToken: typeof answer.id_token === 'string' ? answer.id_token : null,
    };
  }
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes: number): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function challenge(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}
