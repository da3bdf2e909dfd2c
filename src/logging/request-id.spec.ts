import { requestIdFrom } from './request-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it.each(['abc', 'A.b_c-9', 'x'.repeat(128), '0f8fad5b-d9cb-469f-a165-70867728950e'])('keeps a valid incoming id %s', (id) => {
    expect(requestIdFrom(id)).toBe(id);
  });

  it('takes the first of repeated headers', () => {
    expect(requestIdFrom(['first', 'second'])).toBe('first');
  });

  it.each([undefined, '', 'x'.repeat(129), 'has space', 'line\nbreak', 'quote"', 'semi;colon', 'ünïcode', '{"json":1}'])(
    'replaces %j with a new UUID',
    (header) => {
      const id = requestIdFrom(header);
      expect(id).toMatch(UUID);
      expect(requestIdFrom(header)).not.toBe(id);
    },
  );
});
