/** A real SMTP server on loopback (smtp-server) that keeps what it receives, for mail flows. */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  /** Headers and body, quoted-printable decoded. */
  text: string;
}

export interface TestSmtp {
  url: string;
  mails: ReceivedMail[];
  /** Resolves with the next mail to `to` (already received or still to come). */
  next(to: string): Promise<ReceivedMail>;
  /** The `token` and `tokenId` of the link in a mail. */
  linkParams(mail: ReceivedMail): { token: string; tokenId: string; url: string };
  close(): Promise<void>;
}

export async function startSmtp(): Promise<TestSmtp> {
  const mails: ReceivedMail[] = [];
  const waiters: Array<{ to: string; resolve: (mail: ReceivedMail) => void }> = [];
  const taken = new Set<ReceivedMail>();
  const take = (to: string) => {
    const mail = mails.find((m) => !taken.has(m) && m.to.includes(to));
    if (mail) taken.add(mail);
    return mail;
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const mail = {
          to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
          text: decodeQuotedPrintable(Buffer.concat(chunks).toString('utf8')),
        };
        mails.push(mail);
        for (const waiter of [...waiters]) {
          if (mail.to.includes(waiter.to) && !taken.has(mail)) {
            taken.add(mail);
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(mail);
          }
        }
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    next: (to) =>
      new Promise((resolve) => {
        const mail = take(to.toLowerCase());
        if (mail) resolve(mail);
        else waiters.push({ to: to.toLowerCase(), resolve });
      }),
    linkParams(mail) {
      const match = /(https?:\/\/\S+)/.exec(mail.text);
      if (!match) throw new Error(`no link in the mail:\n${mail.text}`);
      const url = new URL(match[1] as string);
      return {
        url: `${url.origin}${url.pathname}`,
        token: url.searchParams.get('token') ?? '',
        tokenId: url.searchParams.get('tokenId') ?? '',
      };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
