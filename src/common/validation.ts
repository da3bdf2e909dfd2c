import { ArgumentMetadata, createParamDecorator, ExecutionContext, Injectable, PipeTransform } from '@nestjs/common';
import type { Static, TSchema } from '@sinclair/typebox';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { AppError } from './errors';

/**
 * Validation of every REST body, query and socket payload against its schema in src/protocol
 * (the contract), compiled once per schema by ajv. Messages name the failing fields of the
 * schema and the rule they break, never the value sent nor the name of an unknown field.
 */

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

const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

function createAjv(coerceTypes: boolean): Ajv {
  // strict: false because schemas carry annotations (examples, descriptions) and x- extensions.
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes, useDefaults: false, verbose: true });
  addFormats(ajv, ['date-time']);
  // Byte-measured limits of the contract (passwords: bytes of UTF-8; server API data: bytes of its JSON).
  ajv.addKeyword({
    keyword: 'x-utf8-bytes',
    type: 'string',
    schemaType: 'object',
    error: { message: (cxt) => `must be ${String(cxt.schema.min)} to ${String(cxt.schema.max)} bytes of UTF-8` },
    validate: (range: { min: number; max: number }, value: string) => utf8Bytes(value) >= range.min && utf8Bytes(value) <= range.max,
  });
  ajv.addKeyword({
    keyword: 'x-json-bytes',
    schemaType: 'number',
    error: { message: (cxt) => `must be at most ${String(cxt.schema)} bytes as JSON` },
    validate: (max: number, value: unknown) => value === undefined || utf8Bytes(JSON.stringify(value) ?? '') <= max,
  });
  return ajv;
}

const strictAjv = createAjv(false);
/** Query strings arrive as text: `limit=30` is the integer 30. */
const queryAjv = createAjv(true);
const compiled = new WeakMap<TSchema, ValidateFunction>();
const compiledQueries = new WeakMap<TSchema, ValidateFunction>();

function compile(schema: TSchema, query: boolean): ValidateFunction {
  const cache = query ? compiledQueries : compiled;
  let validate = cache.get(schema);
  if (!validate) {
    validate = (query ? queryAjv : strictAjv).compile(schema);
    cache.set(schema, validate);
  }
  return validate;
}

const fieldName = (path: string, what: string) => (path === '' ? what : path.slice(1).replaceAll('/', '.'));

/**
 * One line per failing field (a pattern's line is its schema's `description`); alternatives
 * (unions) are reported once, as a whole.
 */
export function describeErrors(errors: readonly ErrorObject[], what: string): string[] {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const insideUnion = (e: ErrorObject) => unions.some((u) => u !== e && e.schemaPath.startsWith(`${u.schemaPath}/`));
  const lines = new Map<string, string>();
  const add = (field: string, line: string) => {
    // one line per field: the first rule it breaks
    if (!lines.has(field)) lines.set(field, line);
  };
  for (const error of errors) {
    if (insideUnion(error)) continue;
    const field = fieldName(error.instancePath, what);
    const schema = error.parentSchema as
      { minLength?: number; maxLength?: number; description?: string; anyOf?: Array<{ const?: unknown }> } | undefined;
    switch (error.keyword) {
      case 'additionalProperties':
        add(`${field}/`, `${field} has fields that are not allowed`);
        break;
      case 'required': {
        const missing = fieldName(`${error.instancePath}/${String(error.params.missingProperty)}`, what);
        add(missing, `${missing} is required`);
        break;
      }
      case 'minLength':
      case 'maxLength':
        add(field, `${field} must be ${schema?.minLength ?? 0} to ${schema?.maxLength ?? '∞'} characters`);
        break;
      case 'pattern':
        add(field, `${field} must be ${schema?.description ?? 'well-formed'}`);
        break;
      case 'anyOf':
      case 'oneOf': {
        const options = schema?.anyOf?.map((branch) => branch.const);
        add(
          field,
          options && options.every((o) => typeof o === 'string')
            ? `${field} must be one of ${options.join(', ')}`
            : `${field} ${schema?.description ? `must be ${schema.description}` : 'does not have an accepted shape'}`,
        );
        break;
      }
      default:
        add(field, `${field} ${error.message ?? 'is not valid'}`);
    }
  }
  return [...lines.values()];
}

/**
 * The value, checked against its contract schema; VALIDATION_FAILED listing every failing field
 * otherwise. A payload nested absurdly deep is refused before anything walks it.
 */
export function validate<S extends TSchema>(schema: S, value: unknown, what = 'payload', query = false): Static<S> {
  if (nestsDeeperThan(value, MAX_DEPTH)) throw new AppError('VALIDATION_FAILED', `${what} nests deeper than ${MAX_DEPTH} levels`);
  const check = compile(schema, query);
  if (check(value)) return value as Static<S>;
  throw new AppError('VALIDATION_FAILED', 'Validation failed', describeErrors(check.errors ?? [], what));
}

/** `@Body(new SchemaPipe(LoginBody))` / `@Query(new SchemaPipe(HistoryQuery))`. */
@Injectable()
export class SchemaPipe<S extends TSchema> implements PipeTransform<unknown, Static<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown, metadata: ArgumentMetadata): Static<S> {
    const query = metadata.type === 'query';
    // A copy: coercion writes into the object it checks.
    return validate(this.schema, query ? { ...(value as object) } : (value ?? {}), query ? 'query' : 'body', query);
  }
}

/** A socket event's payload, checked against its schema in src/protocol: `@Payload(CHAT.client['room:join'].payload)`. */
export const Payload = createParamDecorator((schema: TSchema, ctx: ExecutionContext) => validate(schema, ctx.switchToWs().getData()));
