import { API_KEY, API_KEY_SCOPES } from '../protocol';
import { parseScopes } from './api-keys.service';

describe('API keys', () => {
  it('parses scope lists: known scopes, de-duplicated, spaces ignored', () => {
    expect(parseScopes('read')).toEqual(['read']);
    expect(parseScopes('messages, notify,messages')).toEqual(['messages', 'notify']);
    expect(parseScopes(API_KEY_SCOPES.join(','))).toEqual([...API_KEY_SCOPES]);
  });

  it.each(['', ',', 'admin', 'read,write', 'READ'])('refuses the scope list %j', (text) => {
    expect(() => parseScopes(text)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('splits pk_<id>_<secret> at the first underscore after the id (secrets are base64url)', () => {
    expect(API_KEY.exec('pk_abc123_se_cr-et')?.slice(1)).toEqual(['abc123', 'se_cr-et']);
    for (const text of ['pk__secret', 'pk_abc', 'pk_abc_', 'xx_abc_secret', 'pk_ab-c_secret', 'eyJhbGciOi.eyJ.sig'])
      expect(API_KEY.test(text)).toBe(false);
  });
});
