import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from '../../../sync/protocol/index.js';
import { classifyError, databaseAppError } from '../../../sync/server/db-errors.js';

const serverError = (code: number, message = 'x') => new MongoServerError({ code, errmsg: message, ok: 0 });

describe('classifyError: one verdict for every route', () => {
  it('treats errors that may pass later as transient (503)', () => {
    for (const error of [
      new MongoNetworkError('connection 4 to 127.0.0.1:27017 closed'),
      new MongoServerSelectionError('Server selection timed out after 30000 ms', {
        error: undefined,
        servers: new Map(),
        type: 'Unknown',
      } as unknown as ConstructorParameters<typeof MongoServerSelectionError>[1]),
      serverError(10107, 'not primary'),
      serverError(91, 'shutdown in progress'),
      Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
      new Error('connection 12 to 127.0.0.1:27121 closed'),
      new AppError(503, ErrorCode.ServiceUnavailable, 'busy'),
    ])
      expect([error.message, classifyError(error)]).toEqual([error.message, 'transient']);
    const answer = databaseAppError(new MongoNetworkError('socket hang up'));
    expect([answer?.status, answer?.code]).toEqual([503, 'ServiceUnavailable']);
  });

  it("treats MongoDB's verdicts on the data as the request's fault (400)", () => {
    expect(classifyError(serverError(14, 'Cannot apply $inc to a value of non-numeric type'))).toBe(
      'request',
    );
    expect(classifyError(serverError(11000, 'E11000 duplicate key'))).toBe('request');
    expect(databaseAppError(serverError(2, 'unknown operator: $foo'))?.status).toBe(400);
  });

  it('leaves bugs internal (500), never 400 or 503', () => {
    expect(classifyError(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe(
      'internal',
    );
    expect(databaseAppError(new TypeError('boom'))).toBeUndefined();
  });
});
