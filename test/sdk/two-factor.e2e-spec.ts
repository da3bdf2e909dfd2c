import type { RecoveryCodes, TwoFactorSetup } from '@parley/client';
import { closeSdkClients, connected, sdkClient, signedUp, untilState } from './helpers';
import { appPerSuite } from '../support/app';
import { PASSWORD } from '../support/clients';
import { base32Decode, hotp, timeStep } from '../../src/two-factor/totp';

/** The SDK's two-step sign-in against the server's two-factor routes. */
describe('SDK: two-factor sign-in', () => {
  const suite = appPerSuite();
  afterAll(() => closeSdkClients());

  it('signs in with a TOTP code, then with a recovery code, and connects', async () => {
    const ada = await signedUp(suite.t.url, 'Ada');
    const setup = await ada.client.auth.request<TwoFactorSetup>('POST', '/auth/2fa/setup');
    const secret = base32Decode(setup.secret);
    const step = timeStep(Date.now());
    const { recoveryCodes } = await ada.client.auth.request<RecoveryCodes>('POST', '/auth/2fa/enable', { code: hotp(secret, step) });

    const phone = sdkClient(suite.t.url);
    const first = await phone.auth.login({ email: ada.email, password: PASSWORD });
    if (first.status !== 'mfa_required') throw new Error('expected the second step');
    expect(phone.auth.signedIn).toBe(false);
    await expect(phone.auth.loginSecondStep({ mfaToken: first.mfaToken, code: '000000' })).rejects.toMatchObject({ status: 401 });
    // Each code is accepted once: the next step's (one step of drift is allowed).
    const user = await phone.auth.loginSecondStep({ mfaToken: first.mfaToken, code: hotp(secret, step + 1) });
    expect(user).toMatchObject({ id: ada.id, twoFactorEnabled: true });
    const chat = phone.chat().connect();
    await untilState(chat, connected);

    const laptop = sdkClient(suite.t.url);
    const again = await laptop.auth.login({ email: ada.email, password: PASSWORD });
    if (again.status !== 'mfa_required') throw new Error('expected the second step');
    await expect(laptop.auth.loginSecondStep({ mfaToken: again.mfaToken, recoveryCode: recoveryCodes[0] })).resolves.toMatchObject({ id: ada.id });
    await expect(laptop.auth.token()).resolves.toEqual(expect.any(String));
  });
});
