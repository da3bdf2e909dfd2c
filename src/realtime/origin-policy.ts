import { AppConfig } from '../config/app-config';

/**
 * CORS_ORIGINS: unset = same origin only; otherwise the listed origins (plus same origin).
 * `host` is the Host header of the request, when known, for the same-origin comparison.
 */
export function isOriginAllowed(config: AppConfig, origin: string, host: string | null): boolean {
  const allowed = config.corsOrigins;
  if (allowed && (allowed.includes('*') || allowed.includes(origin))) return true;
  if (!host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
