/** The one table from the server's auth answers to sentences (pure; the flows are in account.test.ts). */
import { describe, expect, it } from 'vitest';
import { explainAuthError } from '../../../sync/client/auth-errors.js';
import { AuthRefusedError, authErrorSentence, HttpError, NetworkError } from '../../../sync/client/index.js';

describe('auth errors as sentences', () => {
  it.each([
    ['logIn', 401, 'InvalidPassword', 'unauthorized', 'Wrong e-mail or password.'],
    [
      'logIn',
      401,
      'AuthError',
      'unauthorized',
      'This account is not confirmed yet, or the sign-in was refused.',
    ],
    ['createAccount', 403, 'AuthError', 'unauthorized', /^This e-mail is registered but not confirmed yet/],
    [
      'register',
      409,
      'AccountNameInUse',
      'name already in use',
      'An account with this e-mail already exists.',
    ],
    [
      'createAccount',
      409,
      'AccountNameInUse',
      'a user already exists with the specified provider',
      'An account with this e-mail already exists.',
    ],
    ['requestPasswordReset', 404, 'UserNotFound', 'user not found', 'No account uses this e-mail.'],
    [
      'resetPassword',
      400,
      'UserpassTokenInvalid',
      'userpass token is expired or invalid',
      'This reset link is invalid or has expired; ask for a new one.',
    ],
    [
      'resetPassword',
      400,
      'BadRequest',
      'invalid token data',
      'This reset link is invalid or has expired; ask for a new one.',
    ],
    [
      'requestPasswordReset',
      400,
      'BadRequest',
      'please use reset password via function',
      'Password reset by e-mail is not enabled on this server.',
    ],
    [
      'register',
      400,
      'BadRequest',
      'password must be between 6 and 128 characters',
      'The password must be 6 to 128 characters long.',
    ],
    ['register', 400, 'BadRequest', 'email invalid', 'This is not a valid e-mail address.'],
    [
      'logInAnonymously',
      401,
      'InvalidSession',
      'unauthorized',
      'Anonymous sign-in is not enabled on this server.',
    ],
    [
      'logIn',
      401,
      'InvalidSession',
      'unauthorized',
      'Accounts with e-mail and password are not enabled on this server.',
    ],
    [
      'logIn',
      429,
      'TooManyRequests',
      'too many failed logins; try again in 12 s',
      'Too many failed logins; try again in 12 s.',
    ],
    [
      'logIn',
      500,
      'InternalServerError',
      'boom',
      'The server could not do this right now (boom). Try again in a moment.',
    ],
    ['register', 400, 'InvalidParameter', 'email: required', 'The server refused this: email: required.'],
  ] as const)('%s %i %s "%s"', (action, status, code, message, sentence) => {
    const said = authErrorSentence(action, status, code, message);
    if (typeof sentence === 'string') expect(said).toBe(sentence);
    else expect(said).toMatch(sentence);
  });

  it('keeps the status and code, and the server text for logs; network failures get a sentence too', () => {
    const refused = explainAuthError('logIn', new HttpError(401, 'InvalidPassword', 'unauthorized'));
    expect(refused).toBeInstanceOf(AuthRefusedError);
    expect(refused).toBeInstanceOf(HttpError);
    expect(refused).toMatchObject({ status: 401, code: 'InvalidPassword', serverMessage: 'unauthorized' });
    const offline = explainAuthError('logIn', new NetworkError('offline (simulated)', true));
    expect(offline).toMatchObject({ name: 'NetworkError', notSent: true });
    expect((offline as Error).message).toMatch(/^You are offline \(simulated/);
    const other = new Error('no user is logged in');
    expect(explainAuthError('createAccount', other)).toBe(other);
  });
});
