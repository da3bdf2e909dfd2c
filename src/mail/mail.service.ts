import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import nodemailer, { Transporter } from 'nodemailer';
import { AppConfig } from '../config/app-config';
import { newId } from '../common/ids';
import { MetricsService } from '../metrics/metrics.service';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

const RETRY_DELAYS_MS = [1_000, 5_000, 30_000];

/**
 * Delivers mail without ever blocking the request that caused it: SMTP when MAIL_URL is
 * set, otherwise an `.eml` file per mail under MAIL_OUTBOX_DIR. Failures are retried a few
 * times, then logged and counted in `/metrics`.
 */
@Injectable()
export class MailService implements OnModuleDestroy {
  private readonly logger = new Logger(MailService.name);
  private readonly transport: Transporter;
  private readonly outboxDir: string | null;
  private readonly from: string;
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(
    config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.from = `Parley <no-reply@${new URL(config.publicUrl).hostname}>`;
    if (config.mail.url) {
      this.transport = nodemailer.createTransport(config.mail.url);
      this.outboxDir = null;
    } else {
      this.transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
      this.outboxDir = resolve(config.mail.outboxDir);
    }
  }

  /** Fire and forget. */
  send(mail: Mail): void {
    void this.attempt(mail, 0);
  }

  onModuleDestroy(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.transport.close();
  }

  private async attempt(mail: Mail, attempt: number): Promise<void> {
    try {
      const info = (await this.transport.sendMail({ from: this.from, ...mail })) as { message?: Buffer };
      if (this.outboxDir) {
        await mkdir(this.outboxDir, { recursive: true });
        const file = join(this.outboxDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${newId()}.eml`);
        await writeFile(file, info.message ?? '');
        this.logger.log(`Mail "${mail.subject}" written to ${file}`);
      } else {
        this.logger.log(`Mail "${mail.subject}" sent`);
      }
      this.metrics.mailSent.inc({ outcome: 'sent' });
    } catch (error) {
      const delay = RETRY_DELAYS_MS[attempt];
      const reason = error instanceof Error ? error.message : String(error);
      if (delay === undefined) {
        this.metrics.mailSent.inc({ outcome: 'failed' });
        this.logger.error(`Mail "${mail.subject}" failed after ${attempt + 1} attempts: ${reason}`);
        return;
      }
      this.metrics.mailSent.inc({ outcome: 'retry' });
      this.logger.warn(`Mail "${mail.subject}" failed (${reason}); retrying in ${delay / 1000} s`);
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        void this.attempt(mail, attempt + 1);
      }, delay);
      timer.unref();
      this.pending.add(timer);
    }
  }
}
