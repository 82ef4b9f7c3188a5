/**
 * App Services error vocabulary (realm-core names) and the one error type both sides use.
 * The wire shape is `{ error, error_code, link? }`; realm-web reads exactly those fields.
 */
export const ErrorCode = {
  InvalidSession: 'InvalidSession',
  InvalidPassword: 'InvalidPassword',
  AccountNameInUse: 'AccountNameInUse',
  UserAlreadyConfirmed: 'UserAlreadyConfirmed',
  UserpassTokenInvalid: 'UserpassTokenInvalid',
  UserNotFound: 'UserNotFound',
  UserDisabled: 'UserDisabled',
  AuthError: 'AuthError',
  /** Ours: an account moved from App Services without its password (hashes are not exported). */
  PasswordResetRequired: 'PasswordResetRequired',
  APIKeyNotFound: 'APIKeyNotFound',
  APIKeyAlreadyExists: 'APIKeyAlreadyExists',
  NoMatchingRuleFound: 'NoMatchingRuleFound',
  FunctionExecutionError: 'FunctionExecutionError',
  FunctionNotFound: 'FunctionNotFound',
  ServiceNotFound: 'ServiceNotFound',
  ServiceCommandNotFound: 'ServiceCommandNotFound',
  AuthProviderNotFound: 'AuthProviderNotFound',
  InvalidParameter: 'InvalidParameter',
  MissingParameter: 'MissingParameter',
  BadRequest: 'BadRequest',
  MongoDBError: 'MongoDBError',
  ReadSizeLimitExceeded: 'ReadSizeLimitExceeded',
  TooManyRequests: 'TooManyRequests',
  AppNotFound: 'AppNotFound',
  NotFound: 'NotFound',
  AdminKeyRequired: 'AdminKeyRequired',
  InternalServerError: 'InternalServerError',
  /** watch on a database without change streams (e.g. a standalone mongod): permanent, fall back to refresh. */
  ChangeStreamsNotSupported: 'ChangeStreamsNotSupported',
  /** watch: the client read too slowly and was dropped; re-read the data, then reconnect. */
  SubscriberTooSlow: 'SubscriberTooSlow',
  /** watch: events may have been missed (the change stream could not resume); re-read, then reconnect. */
  ChangeStreamHistoryLost: 'ChangeStreamHistoryLost',
  /** watch: the backend instance is stopping; reconnect (to another instance). */
  ServerShuttingDown: 'ServerShuttingDown',
  /** Transient: a database or dependency failure that may succeed when retried (503). */
  ServiceUnavailable: 'ServiceUnavailable',
  /** A request over one of the server's request limits (400, never retried). */
  RequestLimitExceeded: 'RequestLimitExceeded',
  /** A database operation cut off by maxTimeMS (503, transient). */
  ExecutionTimeLimitExceeded: 'ExecutionTimeLimitExceeded',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The JSON body of every error response. */
export interface ErrorBody {
  error: string;
  error_code: ErrorCode;
  link?: string;
}

/** An error with an HTTP status and an App Services error code; thrown anywhere, rendered once. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }

  toBody(): ErrorBody {
    return { error: this.message, error_code: this.code };
  }
}

/**
 * App Services' exact texts. Since its May 2024 release every refused login (wrong password,
 * unconfirmed account, bad API key or JWT, unknown or disabled provider) said "unauthorized".
 */
export const Messages = {
  accessTokenExpired: 'invalid session: access token expired',
  refreshTokenNotFound: 'invalid session: failed to find refresh token',
  unauthorized: 'unauthorized',
  nameInUse: 'name already in use',
  userNotFound: 'user not found',
  alreadyConfirmed: 'already confirmed',
  invalidTokenData: 'invalid token data',
  tokenExpiredOrInvalid: 'userpass token is expired or invalid',
  passwordLength: 'password must be between 6 and 128 characters',
  emailInvalid: 'email invalid',
} as const;
