import { metricsAccess } from './metrics-access';

const TOKEN = 'scrape-token-0123456789';

describe('metricsAccess', () => {
  it.each([
    [null, undefined, 'allowed'],
    [null, 'Bearer anything', 'allowed'],
    [TOKEN, undefined, 'missing'],
    [TOKEN, '', 'missing'],
    [TOKEN, `Basic ${TOKEN}`, 'missing'],
    [TOKEN, `Bearer ${TOKEN}`, 'allowed'],
    [TOKEN, `bearer ${TOKEN}`, 'allowed'],
    [TOKEN, `Bearer ${TOKEN}x`, 'invalid'],
    [TOKEN, `Bearer ${TOKEN.slice(0, -1)}`, 'invalid'],
    [TOKEN, 'Bearer scrape-token-0123456780', 'invalid'],
  ])('token %s, Authorization %s → %s', (token, authorization, expected) => {
    expect(metricsAccess(token, authorization)).toBe(expected);
  });
});
