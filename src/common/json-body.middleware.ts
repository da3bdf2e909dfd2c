import { Injectable, NestMiddleware, PayloadTooLargeException } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';
import { AppError } from './errors';

export const MAX_BODY_BYTES = 102_400;

const parseJson = express.json({ limit: MAX_BODY_BYTES, strict: true, type: ['application/json', 'application/*+json'] });

/**
 * JSON bodies, run as Nest middleware (not plain Express) so that a parse error or an
 * oversize body reaches our exception filter (400 / 413 in the contract's shape) instead of
 * Express's HTML error page. Bodies must be JSON objects.
 */
@Injectable()
export class JsonBodyMiddleware implements NestMiddleware {
  async use(req: Request, res: Response, next: NextFunction): Promise<void> {
    // The JSON parser only reads JSON bodies; an oversize body of any other type is refused too.
    if (Number(req.headers['content-length']) > MAX_BODY_BYTES) {
      throw new PayloadTooLargeException(`Request body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    await new Promise<void>((resolve, reject) => parseJson(req, res, (error?: unknown) => (error ? reject(asBodyParserError(error)) : resolve())));
    const body: unknown = req.body;
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      throw new AppError('VALIDATION_FAILED', 'Request body must be a JSON object');
    }
    next();
  }
}

/**
 * body-parser tags its own errors with a `type`, but passes stream errors through untagged
 * (a corrupt gzip body gives zlib's error): those are the client's fault too, 400 not 500.
 */
function asBodyParserError(error: unknown): unknown {
  const { type, status } = (typeof error === 'object' && error !== null ? error : {}) as { type?: unknown; status?: unknown };
  if (typeof type === 'string') return error;
  const clientStatus = typeof status === 'number' && status >= 400 && status < 500 ? status : 400;
  return Object.assign(new Error('Unreadable request body'), { type: 'body.unreadable', status: clientStatus });
}
