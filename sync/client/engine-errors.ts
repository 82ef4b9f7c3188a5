/** Errors the engine's public calls throw (shared by the facade and its parts). */

export class SessionExpiredError extends Error {
  override name = 'SessionExpiredError';
  constructor() {
    super('the session has expired: log in again to resume syncing');
  }
}

/** Another user logged in while a call for the previous one was under way. */
export class UserChangedError extends Error {
  override name = 'UserChangedError';
  constructor() {
    super('another user logged in; the call was not sent');
  }
}

export class NotLoggedInError extends Error {
  override name = 'NotLoggedInError';
  constructor() {
    super('no user is logged in');
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
