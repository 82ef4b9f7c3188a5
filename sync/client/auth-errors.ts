/**
 * The one place where the server's answers to sign-in, registration, password reset and account
 * linking become sentences a person understands. Refused logins say only "unauthorized" on the
 * wire (App Services' codes tell them apart), so the engine decides by `error_code`, never by
 * showing the server's text. The UI shows `error.message` as it is.
 */
import { ErrorCode, Messages } from '../protocol/index.js';
import { HttpError, NetworkError } from './transport.js';

export type AuthAction =
  | 'logIn'
  | 'logInAnonymously'
  | 'register'
  | 'requestPasswordReset'
  | 'resetPassword'
  | 'createAccount';

export const AUTH_SENTENCES = {
  wrongPassword: 'Wrong e-mail or password.',
  notConfirmed: 'This account is not confirmed yet, or the sign-in was refused.',
  linkNotConfirmed:
    'This e-mail is registered but not confirmed yet: open the link in the confirmation mail, then create the account again with the same e-mail and password.',
  nameInUse: 'An account with this e-mail already exists.',
  userNotFound: 'No account uses this e-mail.',
  resetLinkInvalid: 'This reset link is invalid or has expired; ask for a new one.',
  resetByMailOff: 'Password reset by e-mail is not enabled on this server.',
  passwordLength: 'The password must be 6 to 128 characters long.',
  emailInvalid: 'This is not a valid e-mail address.',
  userDisabled: 'This account is disabled.',
  anonymousOff: 'Anonymous sign-in is not enabled on this server.',
  userpassOff: 'Accounts with e-mail and password are not enabled on this server.',
  offlineSimulated: 'You are offline (simulated in the tester console): go back online, then try again.',
} as const;

/** A refusal with its sentence as the message; `status` and `code` stay as the server sent them. */
export class AuthRefusedError extends HttpError {
  override name = 'AuthRefusedError';
  constructor(
    status: number,
    code: string | undefined,
    sentence: string,
    /** The server's own text (for logs; never shown instead of the sentence). */
    readonly serverMessage: string,
  ) {
    super(status, code, sentence);
  }
}

/** The sentence for an HTTP refusal of `action` (pure: the table the tests read). */
export function authErrorSentence(
  action: AuthAction,
  status: number,
  code: string | undefined,
  serverMessage: string,
): string {
  const s = AUTH_SENTENCES;
  switch (code) {
    case ErrorCode.InvalidPassword:
      return s.wrongPassword;
    case ErrorCode.AuthError:
      return action === 'createAccount' ? s.linkNotConfirmed : s.notConfirmed;
    case ErrorCode.AccountNameInUse:
      return s.nameInUse;
    case ErrorCode.UserNotFound:
      return s.userNotFound;
    case ErrorCode.UserpassTokenInvalid:
      return s.resetLinkInvalid;
    case ErrorCode.UserDisabled:
      return s.userDisabled;
    case ErrorCode.InvalidSession:
      // An unknown or disabled provider answers "unauthorized" (a bad token says more).
      if (serverMessage === Messages.unauthorized)
        return action === 'logInAnonymously' ? s.anonymousOff : s.userpassOff;
      break;
    case ErrorCode.TooManyRequests:
      return asSentence(serverMessage);
    case ErrorCode.BadRequest:
      if (serverMessage === Messages.invalidTokenData) return s.resetLinkInvalid;
      if (serverMessage === 'please use reset password via function') return s.resetByMailOff;
      if (serverMessage === Messages.passwordLength) return s.passwordLength;
      if (serverMessage === Messages.emailInvalid) return s.emailInvalid;
      break;
  }
  if (status >= 500)
    return `The server could not do this right now (${serverMessage}). Try again in a moment.`;
  return `The server refused this: ${serverMessage}.`;
}

/** Any failure of an auth call, as the error to throw: HTTP refusals and network failures get sentences. */
export function explainAuthError(action: AuthAction, error: unknown): unknown {
  if (error instanceof AuthRefusedError) return error;
  if (error instanceof HttpError)
    return new AuthRefusedError(
      error.status,
      error.code,
      authErrorSentence(action, error.status, error.code, error.message),
      error.message,
    );
  if (error instanceof NetworkError) {
    const sentence =
      error.message === 'offline (simulated)'
        ? AUTH_SENTENCES.offlineSimulated
        : `Can't reach the server (${error.message}). Check the connection, then try again.`;
    return new NetworkError(sentence, error.notSent);
  }
  return error;
}

/** "too many failed logins; try again in 12 s" → "Too many failed logins; try again in 12 s." */
function asSentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return 'Too many attempts; try again later.';
  const capital = trimmed[0]?.toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
