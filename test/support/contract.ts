import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ACK_ERROR_CODES, AckErrorSchema, HANDSHAKE_ERROR_CODES, NAMESPACES, TSchema } from '../../src/protocol';

/**
 * Every event and acknowledgement a test client receives is checked against the contract
 * (src/protocol): a payload the schema does not allow, an event the namespace does not
 * declare, or an error code outside the contract fails the test that received it.
 */
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validators = new WeakMap<TSchema, ValidateFunction>();
const compile = (schema: TSchema) => {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(JSON.parse(JSON.stringify(schema)) as object);
    validators.set(schema, validate);
  }
  return validate;
};

const violations: string[] = [];
const spec = (namespace: string) => NAMESPACES.find((n) => n.path === namespace);

function check(what: string, schema: TSchema, value: unknown): void {
  const validate = compile(schema);
  if (!validate(value)) violations.push(`${what}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(value).slice(0, 300)}`);
}

/** A server → client event. */
export function checkServerEvent(namespace: string, event: string, payload: unknown): void {
  const schema = (spec(namespace)?.server as Record<string, { payload: TSchema }> | undefined)?.[event]?.payload;
  if (!schema) violations.push(`${namespace} emitted ${event}, which the contract does not declare`);
  else check(`${namespace} ${event}`, schema, payload);
}

/** An acknowledgement of a client event. */
export function checkAck(namespace: string, event: string, ack: unknown): void {
  const client = spec(namespace)?.client as Record<string, { data: TSchema }> | undefined;
  const response = ack as { ok?: unknown; data?: unknown; error?: { code?: unknown } };
  if (response?.ok === true) {
    const schema = client?.[event]?.data;
    if (schema) check(`${namespace} ${event} ack`, schema, response.data);
    else violations.push(`${namespace} acknowledged ${event}, which the contract does not declare`);
  } else if (response?.ok === false) {
    check(`${namespace} ${event} error`, AckErrorSchema, response.error);
  } else {
    violations.push(`${namespace} ${event}: an acknowledgement must have ok: true or false`);
  }
}

/** Parley's refusals carry `data.code`; Socket.IO's own ("Invalid namespace") carry nothing. */
export function checkHandshakeError(message: string, data: unknown): void {
  if (message === 'Invalid namespace' && data === undefined) return;
  const code = (data as { code?: unknown } | undefined)?.code;
  if (!(HANDSHAKE_ERROR_CODES as readonly unknown[]).includes(code)) violations.push(`connect_error code ${String(code)} is not in the contract`);
}

/** The violations seen since the last call (and forgets them). */
export function takeViolations(): string[] {
  return violations.splice(0);
}

export const ackCodes: readonly string[] = ACK_ERROR_CODES;
