/**
 * Sign-in and the account: register, log in (e-mail or anonymous), password reset by mail, and
 * turning the anonymous user into an e-mail account (register the address, then link it with
 * `login?link=true` under the user's access token: the user id, and so the cache, the outbox
 * and the custom data, stay the same). Every failure leaves through `explainAuthError`: the
 * sentence the UI shows. Network failures go through the connection loop like every call.
 */
import type { ClientUser } from '../model/index.js';
import { ErrorCode, Messages } from '../protocol/index.js';
import type { Parts } from './assemble-parts.js';
import { type AuthAction, explainAuthError } from './auth-errors.js';
import { errorMessage, NotLoggedInError, SessionExpiredError } from './engine-errors.js';
import type { SessionRow } from './sqlite/local-store.js';
import { HttpError } from './transport.js';

export type Credentials = { email: string; password: string };

export interface AccountActions {
  register(email: string, password: string): Promise<void>;
  logIn(credentials: Credentials | { anonymous: true }): Promise<ClientUser>;
  requestPasswordReset(email: string): Promise<void>;
  resetPassword(reset: { token: string; tokenId: string; password: string }): Promise<void>;
  createAccount(credentials: Credentials): Promise<ClientUser>;
}

const normalise = (email: string) => email.trim().toLowerCase();

async function explained<T>(action: AuthAction, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw explainAuthError(action, error);
  }
}

export function accountActions(
  { transport, connection, session, time, logger }: Parts,
  facade: { changed: () => void; flush: () => Promise<boolean> },
): AccountActions {
  const online = <T>(call: () => Promise<T>) => connection.online(call);

  return {
    register: (email, password) =>
      explained('register', () => online(() => transport.register(email, password))),

    async logIn(credentials) {
      const anonymous = 'anonymous' in credentials;
      const response = await explained(anonymous ? 'logInAnonymously' : 'logIn', () =>
        online(() =>
          anonymous
            ? transport.login('anon-user', {})
            : transport.login('local-userpass', {
                username: credentials.email,
                password: credentials.password,
              }),
        ),
      );
      const row: SessionRow = {
        userId: response.user_id,
        provider: anonymous ? 'anon-user' : 'local-userpass',
        email: anonymous ? null : normalise(credentials.email),
        accessToken: response.access_token,
        refreshToken: response.refresh_token ?? null,
        state: 'active',
        updatedAt: time.now(),
      };
      session.begin(row, response.access_token);
      connection.lastError = null;
      connection.set('online');
      session.scheduleRenewal();
      facade.changed();
      // The same user's paused outbox resumes now; another user's is never sent.
      facade
        .flush()
        .catch((error: unknown) => logger.warn('flush after login failed', { error: errorMessage(error) }));
      return { id: row.userId, provider: row.provider, email: row.email };
    },

    requestPasswordReset: (email) =>
      explained('requestPasswordReset', () => online(() => transport.sendPasswordReset(email.trim()))),

    resetPassword: ({ token, tokenId, password }) =>
      explained('resetPassword', () => online(() => transport.resetPassword(token, tokenId, password))),

    async createAccount({ email, password }) {
      const userId = session.userId;
      const row = session.row;
      if (!userId || !row || row.state === 'logged-out') throw new NotLoggedInError();
      if (row.state === 'expired') throw new SessionExpiredError();
      if (row.provider !== 'anon-user') throw new Error('You are already signed in with an e-mail account.');
      const username = email.trim();
      // Registered already: by someone else, or by an earlier attempt of ours whose link failed.
      let registeredBefore = false;
      try {
        await online(() => transport.register(username, password));
      } catch (error) {
        if (!(error instanceof HttpError && error.code === ErrorCode.AccountNameInUse))
          throw explainAuthError('createAccount', error);
        registeredBefore = true;
      }
      const linked = await session
        .authed(userId, (token) => online(() => transport.link(token, { username, password })))
        .catch((error: unknown) => {
          // Someone else's address: the password does not match, or the identity is theirs.
          const theirs =
            error instanceof HttpError &&
            (error.code === ErrorCode.InvalidPassword || error.code === ErrorCode.AccountNameInUse);
          throw explainAuthError(
            'createAccount',
            registeredBefore && theirs
              ? new HttpError(409, ErrorCode.AccountNameInUse, Messages.nameInUse)
              : error,
          );
        });
      if (linked.user_id !== userId)
        throw new Error('The server linked the e-mail to another user; nothing was changed here.');
      session.becameAccount(userId, normalise(username), linked.access_token);
      facade.changed();
      return { id: userId, provider: 'local-userpass', email: normalise(username) };
    },
  };
}
