import type { Request } from 'express';
import { SessionMeta } from '../sessions/sessions.service';

export function sessionMeta(req: Request): SessionMeta {
  const userAgent = req.headers['user-agent'];
  return { userAgent: typeof userAgent === 'string' ? userAgent : null, ip: req.ip ?? null };
}
