import QRCode from 'qrcode';
import type { ParleyClient } from '@parley/client';
import { $, el, formValues, setStatus } from './dom';

/**
 * Two-factor sign-in on the security page: setup shows the secret as a QR code drawn in the
 * page (the `qrcode` package, bundled: nothing is fetched) and as text; enabling shows the ten
 * recovery codes once; disabling asks for the password and a code.
 */
export class TwoFactorPanel {
  constructor(private readonly client: ParleyClient) {
    $('twofa-setup').addEventListener('click', () => void this.setup());
    $('twofa-enable-form').addEventListener('submit', (e) => void this.enable(e));
    $('twofa-disable-form').addEventListener('submit', (e) => void this.disable(e));
    $('twofa-codes-done').addEventListener('click', () => {
      $('recovery-codes').replaceChildren();
      $('twofa-codes').hidden = true;
      this.render();
    });
    client.auth.on('user', () => this.render());
  }

  render(): void {
    const on = this.client.auth.user?.twoFactorEnabled ?? false;
    const showingCodes = !$('twofa-codes').hidden;
    $('twofa-state').textContent = on ? 'On: signing in asks for a code from your authenticator app.' : 'Off: signing in needs only your password.';
    $('twofa-setup').hidden = on || !$('twofa-pending').hidden;
    $('twofa-disable-form').hidden = !on || showingCodes;
  }

  private async setup(): Promise<void> {
    try {
      const { secret, otpauthUrl } = await this.client.twoFactor.setup();
      await QRCode.toCanvas($<HTMLCanvasElement>('twofa-qr'), otpauthUrl, { width: 200, margin: 1, errorCorrectionLevel: 'M' });
      $('twofa-secret').textContent = secret;
      $('twofa-pending').hidden = false;
      this.render();
      $<HTMLInputElement>('twofa-enable-form').querySelector('input')?.focus();
    } catch (error) {
      setStatus((error as Error).message, true);
    }
  }

  private async enable(event: Event): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    try {
      const codes = await this.client.twoFactor.enable(formValues(form).code.trim());
      form.reset();
      $('twofa-pending').hidden = true;
      $('twofa-secret').textContent = '';
      $('recovery-codes').replaceChildren(...codes.map((code) => el('li', {}, el('code', {}, code))));
      $('twofa-codes').hidden = false;
      setStatus('Two-factor sign-in is on; your other devices were signed out.');
      this.render();
    } catch (error) {
      setStatus((error as Error).message, true);
    }
  }

  private async disable(event: Event): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const { password, code } = formValues(form);
    try {
      await this.client.twoFactor.disable({ password, code: code.trim() });
      form.reset();
      setStatus('Two-factor sign-in is off; your other devices were signed out.');
      this.render();
    } catch (error) {
      setStatus((error as Error).message, true);
    }
  }
}
