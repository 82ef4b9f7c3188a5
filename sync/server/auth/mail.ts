/**
 * Confirmation and reset mail over SMTP (nodemailer): `SMTP_URL` (`smtp://user:pass@host:587`,
 * `smtps://` for TLS) and `MAIL_FROM`. A mail server that refuses or cannot be reached is a
 * transient failure (503): the client may ask again. Nothing of a mail reaches the logs.
 */
import nodemailer from 'nodemailer';
import { AppError, ErrorCode } from '../../protocol/index.js';

export interface Mailer {
  send(message: { to: string; subject: string; text: string }): Promise<void>;
  close(): void;
}

export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    async send({ to, subject, text }) {
      try {
        await transport.sendMail({ from, to, subject, text });
      } catch {
        throw new AppError(
          503,
          ErrorCode.ServiceUnavailable,
          'the mail server did not accept the message; try again',
        );
      }
    },
    close: () => transport.close(),
  };
}

/** `<url>?token=…&tokenId=…`, as App Services linked to the app's confirmation and reset pages. */
export function linkWith(url: string, params: { token: string; tokenId: string }): string {
  const query = new URLSearchParams(params).toString();
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}
