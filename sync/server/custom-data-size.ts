/**
 * The custom data document travels inside every access token: past a few hundred KB no token
 * fits a request header and the user cannot log in. Writes through our API may not take the
 * document over `customData.maxDocumentBytes`; a document written elsewhere that is too big
 * still gets its user a token, without the data (claimFor in custom-data.ts).
 */
import { BSON, type Collection, type Document } from 'mongodb';
import { AppError, ErrorCode } from '../protocol/index.js';

export const DEFAULT_MAX_CUSTOM_DATA_BYTES = 16 * 1024;

function tooLarge(bytes: number, limit: number): AppError {
  return new AppError(
    400,
    ErrorCode.InvalidParameter,
    `custom user data would be ${bytes} bytes; the limit is ${limit} (it is copied into every access token)`,
  );
}

/**
 * Runs a write on the user's documents and undoes it when it left a document over the limit.
 * The pre-image is read first; a concurrent write of the same user between the two can be
 * undone along with it (the user's own race, reported to them as this 400).
 */
export async function guardDocumentSize<T>(
  coll: Collection<Document>,
  field: string,
  userId: string,
  limit: number,
  write: () => Promise<T>,
): Promise<T> {
  const before = new Map((await coll.find({ [field]: userId }).toArray()).map((d) => [String(d._id), d]));
  const result = await write();
  const after = await coll.find({ [field]: userId }).toArray();
  const over = after.find((d) => BSON.calculateObjectSize(d) > limit);
  if (!over) return result;
  for (const doc of after) {
    const previous = before.get(String(doc._id));
    if (!previous) await coll.deleteOne({ _id: doc._id });
    else if (BSON.calculateObjectSize(doc) > limit) await coll.replaceOne({ _id: doc._id }, previous);
  }
  throw tooLarge(BSON.calculateObjectSize(over), limit);
}
