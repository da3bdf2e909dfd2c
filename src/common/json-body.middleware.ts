import { Injectable, NestMiddleware } from '@nestjs/common';
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
    await new Promise<void>((resolve, reject) => parseJson(req, res, (error?: unknown) => (error ? reject(error) : resolve())));
    const body: unknown = req.body;
    if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      throw new AppError('VALIDATION_FAILED', 'Request body must be a JSON object');
    }
    next();
  }
}
