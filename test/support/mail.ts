import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from './clients';

/** Undoes quoted-printable soft line breaks and escapes, enough to read links. */
export function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The token of the first `#/<route>?token=…` link in a raw mail. */
export function linkToken(rawMail: string, route: 'verify-email' | 'reset-password'): string {
  const match = new RegExp(`#/${route}\\?token=([A-Za-z0-9_%-]+)`).exec(decodeQuotedPrintable(rawMail));
  if (!match) throw new Error(`no ${route} link in mail`);
  return decodeURIComponent(match[1]);
}

/** Mails in the outbox folder addressed to `to`, oldest first (waits up to `ms` for `count`). */
export async function outboxMails(dir: string, to: string, count = 1, ms = 3000): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .sort();
    const mails = files.map((f) => readFileSync(join(dir, f), 'utf8')).filter((m) => decodeQuotedPrintable(m).includes(`To: ${to}`));
    if (mails.length >= count || Date.now() > deadline) return mails;
    await sleep(50);
  }
}
