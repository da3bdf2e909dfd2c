import { nameClaim, roleFrom, verifiedEmail } from './external-users.service';

describe('external users', () => {
  it.each([
    [{ roles: 'admin' }, 'roles', 'admin'],
    [{ roles: ['user', 'admin'] }, 'roles', 'admin'],
    [{ roles: ['user'] }, 'roles', 'user'],
    [{ roles: 'administrator' }, 'roles', 'user'],
    [{ roles: ['Admin'] }, 'roles', 'user'],
    [{ roles: { admin: true } }, 'roles', 'user'],
    [{ realm_access: { roles: ['admin'] } }, 'realm_access.roles', 'admin'],
    [{ realm_access: ['admin'] }, 'realm_access.roles', 'user'],
    [{ realm_access: 'admin' }, 'realm_access.roles', 'user'],
    [{}, 'realm_access.roles', 'user'],
    [{ 'https://app.example/roles': ['admin'] }, 'https://app.example/roles', 'admin'],
    [{ https: { x: 'admin' } }, 'https://app.example/roles', 'user'],
  ])('reads the role from %j at %s: %s', (claims, path, role) => {
    expect(roleFrom(claims, path)).toBe(role);
  });

  it('takes the display name from name, then preferred_username, within 50 characters', () => {
    expect(nameClaim({ name: ' Ada Lovelace ', preferred_username: 'ada' })).toBe('Ada Lovelace');
    expect(nameClaim({ name: '  ', preferred_username: 'ada' })).toBe('ada');
    expect(nameClaim({ name: 42, preferred_username: 'ada' })).toBe('ada');
    expect(nameClaim({})).toBeNull();
    expect([...(nameClaim({ name: '😀'.repeat(60) }) ?? '')]).toHaveLength(50);
  });

  it('keeps an email only when verified, normalised', () => {
    expect(verifiedEmail({ email: 'Ada@Example.COM', email_verified: true })).toBe('ada@example.com');
    expect(verifiedEmail({ email: 'ada@example.com', email_verified: false })).toBeNull();
    expect(verifiedEmail({ email: 'ada@example.com', email_verified: 'true' })).toBeNull();
    expect(verifiedEmail({ email: 'ada@example.com' })).toBeNull();
    expect(verifiedEmail({ email: 'not an email', email_verified: true })).toBeNull();
    expect(verifiedEmail({ email: `${'a'.repeat(250)}@x.io`, email_verified: true })).toBeNull();
  });
});
