/** What MongoDB's change stream errors mean to a feed: no change streams here, or lost history. */
import { MongoServerError } from 'mongodb';

/** Codes MongoDB answers when change streams do not exist on this deployment. */
const UNSUPPORTED_CODES = new Set([40573, 40324, 115, 20]);
/** Codes meaning the resume point is gone: events may have been missed. */
const HISTORY_LOST_CODES = new Set([280, 286, 136, 9]);

export class ChangeStreamsUnsupportedError extends Error {}

export function isUnsupported(error: unknown): boolean {
  if (!(error instanceof MongoServerError)) return false;
  return (
    UNSUPPORTED_CODES.has(Number(error.code)) ||
    (/\$changeStream|change stream/i.test(error.message) &&
      /replica set|not supported|unrecognized/i.test(error.message))
  );
}

export function isHistoryLost(error: unknown): error is MongoServerError {
  return error instanceof MongoServerError && HISTORY_LOST_CODES.has(Number(error.code));
}
