import { Type } from '@sinclair/typebox';
import { CHAT, LoginSecondStepBody, PublicationBody, RegisterBody } from '../protocol';
import { AppError } from './errors';
import { nestsDeeperThan, validate } from './validation';

const failures = (schema: Parameters<typeof validate>[0], value: unknown, query = false): string[] => {
  try {
    validate(schema, value, 'payload', query);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('VALIDATION_FAILED');
    return [...((error as AppError).details ?? [(error as AppError).message])];
  }
  return [];
};

describe('nestsDeeperThan', () => {
  it('counts object and array levels, not scalars', () => {
    expect(nestsDeeperThan('text', 0)).toBe(false);
    expect(nestsDeeperThan({ a: 1 }, 1)).toBe(false);
    expect(nestsDeeperThan({ a: { b: [1] } }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: { b: [1] } }, 2)).toBe(true);
  });

  it('handles nesting far deeper than the call stack allows', () => {
    const deep = JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)) as unknown;
    expect(nestsDeeperThan(deep, 16)).toBe(true);
  });
});

describe('validate', () => {
  const send = CHAT.client['message:send'].payload;

  it('accepts a valid payload as it is', () => {
    const payload = { room: 'general', body: 'hi', clientMsgId: 'c1' };
    expect(validate(send, payload)).toBe(payload);
  });

  it('lists every failing field, without the values sent or the names of unknown fields', () => {
    const lines = failures(send, { room: '', body: 'x'.repeat(4001), 'MARKER<b>': 1 });
    expect(lines).toEqual(
      expect.arrayContaining(['room must be 1 to 64 characters', 'body must be 1 to 4000 characters', 'payload has fields that are not allowed']),
    );
    expect(lines.join(' ')).not.toContain('MARKER');
    expect(failures(send, { room: 'general' })).toEqual(['body is required']);
    expect(failures(send, 'text')).toEqual(['payload must be object']);
  });

  it('counts characters as code points and passwords as UTF-8 bytes', () => {
    expect(failures(send, { room: 'r', body: '😀'.repeat(4000) })).toEqual([]);
    const register = (password: string) => failures(RegisterBody, { email: 'a@b.example', password, displayName: 'A' });
    expect(register('é'.repeat(3))).toEqual(['password must be 8 to 72 bytes of UTF-8']);
    expect(register('é'.repeat(36))).toEqual([]);
    expect(register('é'.repeat(37))).toEqual(['password must be 8 to 72 bytes of UTF-8']);
  });

  it('measures JSON data in bytes', () => {
    expect(failures(PublicationBody, { data: { v: 'x'.repeat(16_000) } })).toEqual([]);
    expect(failures(PublicationBody, { data: { v: 'x'.repeat(16_400) } })).toEqual(['data must be at most 16384 bytes as JSON']);
  });

  it('reports a union once', () => {
    expect(failures(Type.Object({ v: Type.Union([Type.Literal('a'), Type.Literal('b')]) }), { v: 'c' })).toEqual(['v must be one of a, b']);
    expect(failures(LoginSecondStepBody, { mfaToken: 't' })).toHaveLength(1);
    expect(failures(LoginSecondStepBody, { mfaToken: 't', code: '123456' })).toEqual([]);
  });

  it('coerces query strings only for queries', () => {
    const query = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1 })) });
    expect(validate(query, { limit: '30' }, 'query', true)).toEqual({ limit: 30 });
    expect(failures(query, { limit: '30' })).toEqual(['limit must be integer']);
    expect(failures(query, { limit: 'abc' }, true)).toEqual(['limit must be integer']);
  });
});
