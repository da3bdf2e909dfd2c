import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiQuery, ApiResponse } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { STATUS_CODES } from 'node:http';
import { HttpErrorSchema, TSchema } from '../protocol';

/** OpenAPI from the contract's schemas (src/protocol): what a route takes and answers. */

const asOpenApi = (schema: TSchema) => schema as unknown as SchemaObject;

export const ApiBodySchema = (schema: TSchema) => ApiBody({ schema: asOpenApi(schema) });

/** Each property of a query schema as a query parameter. */
export function ApiQuerySchema(schema: TSchema & { properties?: Record<string, TSchema>; required?: string[] }) {
  return applyDecorators(
    ...Object.entries(schema.properties ?? {}).map(([name, property]) =>
      ApiQuery({ name, required: schema.required?.includes(name) ?? false, schema: asOpenApi(property) }),
    ),
  );
}

/** A success answer; no schema for an empty one (204, 202). */
export const ApiAnswer = (status: number, schema?: TSchema, description?: string) =>
  ApiResponse({ status, description: description ?? STATUS_CODES[status] ?? '', ...(schema ? { schema: asOpenApi(schema) } : {}) });

/** Error answers, each in the contract's `{ statusCode, message, error }` shape. */
export const ApiErrors = (...errors: Array<number | [number, string]>) =>
  applyDecorators(
    ...errors.map((error) => {
      const [status, description] = Array.isArray(error) ? error : [error, STATUS_CODES[error] ?? 'Error'];
      return ApiResponse({ status, description, schema: asOpenApi(HttpErrorSchema) });
    }),
  );
