import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { UserEntity } from '../users/user.entity';
import { EmailTokenKind } from './email-token.entity';
import { EmailTokensService } from './email-tokens.service';
import { MailService } from './mail.service';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/**
 * The account mails. Links open the demo client (`PUBLIC_URL/#/…`), which completes the step
 * over REST; the token sits in the URL fragment, so it never reaches a server log.
 */
@Injectable()
export class AccountMailer {
  private readonly logger = new Logger(AccountMailer.name);

  constructor(
    private readonly config: AppConfig,
    private readonly tokens: EmailTokensService,
    private readonly mail: MailService,
  ) {}

  sendVerification(user: UserEntity): void {
    void this.compose(user, 'verify').catch((error: unknown) => this.reportBackgroundFailure('verification mail', error));
  }

  sendPasswordReset(user: UserEntity): void {
    void this.compose(user, 'reset').catch((error: unknown) => this.reportBackgroundFailure('password reset mail', error));
  }

  /** A new password makes the links sent for the old one worthless. */
  voidResetLinks(userId: string): Promise<void> {
    return this.tokens.voidPending(userId, 'reset');
  }

  consumeToken(kind: EmailTokenKind, token: string): Promise<string> {
    return this.tokens.consume(kind, token);
  }

  reportBackgroundFailure(what: string, error: unknown): void {
    this.logger.error(`Could not prepare ${what}: ${error instanceof Error ? error.message : String(error)}`);
  }

  private async compose(user: UserEntity, kind: EmailTokenKind): Promise<void> {
    const to = user.email;
    // an account from an external identity provider may have no address: nothing to send
    if (to === null) return;
    const token = await this.tokens.issue(user.id, kind);
    const route = kind === 'verify' ? 'verify-email' : 'reset-password';
    const link = `${this.config.publicUrl}/#/${route}?token=${encodeURIComponent(token)}`;
    const name = user.displayName;
    const [subject, intro, action, expiry] =
      kind === 'verify'
        ? [
            'Confirm your email for Parley',
            'Welcome to Parley! Please confirm your email address.',
            'Confirm email',
            'This link works once and expires in 24 hours.',
          ]
        : [
            'Reset your Parley password',
            'Someone (hopefully you) asked to reset your Parley password.',
            'Choose a new password',
            'This link works once and expires in 1 hour. If you did not ask for it, ignore this mail.',
          ];
    this.mail.send({
      to,
      subject,
      text: `Hello ${name},\n\n${intro}\n\n${action}: ${link}\n\n${expiry}\n`,
      html: `<p>Hello ${escapeHtml(name)},</p><p>${intro}</p><p><a href="${escapeHtml(link)}">${action}</a></p><p>${expiry}</p>`,
    });
  }
}
