/** What providers need from the rest of the server, injected so each can be tested alone. */
import { AppError, ErrorCode } from '../../../protocol/index.js';

export interface ProviderServices {
  now(): number;
  /** Runs an app function with system rights (auth, confirmation and reset functions). */
  runFunction(name: string, args: unknown[]): Promise<unknown>;
  /** Sends `<url>?token=…&tokenId=…` to `to`; refused at start when no SMTP server is set. */
  sendMail(
    to: string,
    subject: string,
    url: string,
    params: { token: string; tokenId: string },
  ): Promise<void>;
  /** Counts one confirmation or reset for the account and for the address; 429 past the limits. */
  hitMailLimits(email: string, address: string): Promise<void>;
}

/** Control, bidi-override and zero-width characters make two emails look alike: refused. */
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/u;

export function assertPlainEmail(email: string): void {
  if (INVISIBLE.test(email))
    throw new AppError(
      400,
      ErrorCode.InvalidParameter,
      'email must not contain control or invisible characters',
    );
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}
