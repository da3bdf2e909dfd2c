import type { HttpError } from '../../../src/protocol';
import { ParleyError, ParleyHttpError } from './errors';

export type FetchFn = (
  input: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<{
  ok: boolean;
  status: number;
  statusText: string;
  json(): Promise<unknown>;
}>;

/** One REST call. Errors: `ParleyHttpError` (the server's shape) or `ParleyError('NETWORK')`. */
export async function restCall<T>(
  fetchFn: FetchFn,
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<T> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let res: Awaited<ReturnType<FetchFn>>;
  try {
    res = await fetchFn(`${baseUrl}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  } catch (error) {
    throw new ParleyError('NETWORK', `Cannot reach the server (${(error as Error).message})`);
  }
  if (res.status === 204 || res.status === 202) return undefined as T;
  const data: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const body = (data ?? {}) as Partial<HttpError>;
    throw new ParleyHttpError(res.status, {
      statusCode: res.status,
      message: body.message ?? res.statusText,
      error: body.error ?? res.statusText,
    });
  }
  return data as T;
}
