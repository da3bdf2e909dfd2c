import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { ValidationError } from 'class-validator';
import { AppError } from './errors';

/** Every failing field, as class-validator phrases it (never the value that was sent). */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = `${prefix}${error.property}`;
    const own = Object.values(error.constraints ?? {});
    const nested = flattenValidationErrors(error.children ?? [], `${path}.`);
    return [...own, ...nested];
  });
}

/** No request or event of the contract nests deeper than this. */
const MAX_DEPTH = 16;

/** Whether `value` nests objects or arrays deeper than `limit` (iterative: no stack to overflow). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth >= limit) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Socket.IO's parameter type for `@MessageBody()` (not exported by @nestjs/websockets). */
const WS_PAYLOAD = 3;

/** A REST body or a socket event's payload: what a client sends (not the socket, the user…). */
const isPayload = (metadata: ArgumentMetadata) => metadata.type === 'body' || (metadata.type as unknown) === WS_PAYLOAD;

/**
 * class-transformer and class-validator walk a payload recursively: one nested a few thousand
 * levels deep overflows the stack (an INTERNAL error instead of a validation error), so depth
 * is checked first.
 */
class BoundedValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (isPayload(metadata) && nestsDeeperThan(value, MAX_DEPTH)) throw new AppError('VALIDATION_FAILED', `Payload nests deeper than ${MAX_DEPTH} levels`);
    return super.transform(value, metadata);
  }
}

/** One validation policy for REST bodies and Socket.IO payloads: unknown fields are refused. */
export const validationPipe = new BoundedValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  transform: true,
  stopAtFirstError: false,
  validationError: { target: false, value: false },
  exceptionFactory: (errors) => new AppError('VALIDATION_FAILED', 'Validation failed', flattenValidationErrors(errors)),
});
