import { ValidationPipe } from '@nestjs/common';
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

/** One validation policy for REST bodies and Socket.IO payloads: unknown fields are refused. */
export const validationPipe = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: true,
  transform: true,
  stopAtFirstError: false,
  validationError: { target: false, value: false },
  exceptionFactory: (errors) => new AppError('VALIDATION_FAILED', 'Validation failed', flattenValidationErrors(errors)),
});
