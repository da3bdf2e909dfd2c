import { Static, TObject, TProperties, TSchema, Type } from '@sinclair/typebox';

/**
 * Building blocks of the wire contract. Schemas are plain JSON Schema (TypeBox), so the same
 * object types the server, the SDK and the tests (`Static<typeof X>`), validates payloads at
 * run time and becomes the AsyncAPI and OpenAPI documents.
 */
export type { Static, TSchema } from '@sinclair/typebox';

/** A client payload or request body: unknown fields are refused. */
export const Strict = <P extends TProperties>(properties: P, options: { title?: string; description?: string } = {}): TObject<P> =>
  Type.Object(properties, { additionalProperties: false, ...options });

/** Something the server sends: documented, not closed (clients ignore fields they do not know). */
export const Shape = <P extends TProperties>(title: string, properties: P, description?: string): TObject<P> =>
  Type.Object(properties, { title, ...(description ? { description } : {}) });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const IsoTime = Type.String({ format: 'date-time', description: 'ISO-8601 UTC' });

/** Ids are opaque strings: clients never assume they are numbers. */
export const Id = Type.String({ minLength: 1, maxLength: 64, description: 'opaque id' });

export type Infer<T extends TSchema> = Static<T>;
