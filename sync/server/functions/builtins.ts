/**
 * Built-in system functions. They take the user id from `context.user`, never from
 * arguments, so a client can only ever change its own custom data (the "stricter mode"
 * of the seeds: the collection read-only to clients, edits through a system function).
 */
import { type Document, ObjectId } from 'mongodb';
import { APPLY_EDITS_FUNCTION, AppError, ErrorCode, isPlainObject } from '../../protocol/index.js';
import { applyEdits } from '../apply-edits.js';
import type { CustomDataStore } from '../custom-data.js';
import { assertNewDocumentSize, type SizedEdit, sizeCondition } from '../custom-data-size.js';
import type { FunctionDefinition } from './registry.js';

export function builtinFunctions(
  customData: CustomDataStore,
  now: () => number,
): Record<string, FunctionDefinition> {
  const field = customData.userIdField;

  return {
    /** updateCustomUserData(set, unset?) → the updated custom data. */
    updateCustomUserData: {
      isPrivate: false,
      async run(context, set = {}, unset = []) {
        if (!isPlainObject(set))
          throw new AppError(
            400,
            ErrorCode.InvalidParameter,
            'the first argument must be an object of fields to set',
          );
        if (!Array.isArray(unset) || !unset.every((k) => typeof k === 'string')) {
          throw new AppError(
            400,
            ErrorCode.InvalidParameter,
            'the second argument must be an array of field names to unset',
          );
        }
        for (const key of [...Object.keys(set), ...unset]) customData.assertEditable(key);
        await patchOwnDocument(customData, context.user.id, set, unset as string[], {
          maxBytes: customData.maxDocumentBytes,
        });
        return (await customData.find(context.user.id)) ?? {};
      },
    },
    /** The offline client's outbox: one device's batch of edits, applied exactly once. */
    [APPLY_EDITS_FUNCTION]: {
      isPrivate: false,
      run: (context, batch) => applyEdits(customData, context.user.id, batch),
    },
    /** Deletes the caller's custom data (deleting a user leaves it in place). */
    deleteCustomUserData: {
      isPrivate: false,
      async run(context) {
        const res = await customData.collection.deleteMany(
          { [field]: context.user.id },
          { maxTimeMS: customData.maxTimeMS },
        );
        return { deletedCount: res.deletedCount };
      },
    },
    /** User creation function: an initial custom data document for a new user. */
    createCustomUserData: {
      isPrivate: true,
      async run(context) {
        if (await customData.findRaw(context.user.id)) return null;
        await customData.collection.insertOne(
          { [field]: context.user.id, createdAt: new Date(now()) },
          { maxTimeMS: customData.maxTimeMS },
        );
        return null;
      },
    },
    /** Login trigger: stamps `lastLogin`, so the token minted right after carries it. */
    stampLastLogin: {
      isPrivate: true,
      async run(context) {
        await patchOwnDocument(customData, context.user.id, { lastLogin: new Date(now()) }, []);
        return null;
      },
    },
  };
}

/**
 * Updates the user's winning document (first inserted), creating it when there is none. With
 * `maxBytes`, a result over it is refused (400) inside the atomic update (custom-data-size.ts);
 * the login stamp has none, so a document written elsewhere never stops a login.
 */
export async function patchOwnDocument(
  customData: CustomDataStore,
  userId: string,
  set: Document,
  unset: string[],
  options: { maxBytes?: number } = {},
): Promise<void> {
  const update: Document = {};
  if (Object.keys(set).length) update.$set = set;
  if (unset.length) update.$unset = Object.fromEntries(unset.map((k) => [k, '']));
  const limit = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const maxTimeMS = customData.maxTimeMS;
  const edits: SizedEdit[] = [
    ...Object.entries(set).map(([path, value]) => ({ op: 'set' as const, path, value })),
    ...unset.map((path) => ({ op: 'unset' as const, path })),
  ];
  for (let attempt = 0; attempt < MAX_PATCH_ATTEMPTS; attempt++) {
    const existing = await customData.findRaw(userId);
    if (!existing) {
      const doc = { [customData.userIdField]: userId, ...set };
      if (Number.isFinite(limit)) assertNewDocumentSize({ _id: new ObjectId(), ...doc }, limit);
      await customData.collection.insertOne(doc, { maxTimeMS });
      return;
    }
    if (!Object.keys(update).length) return;
    const sized = Number.isFinite(limit)
      ? await sizeCondition(customData.collection, existing, edits, limit, maxTimeMS, attempt > 0)
      : {};
    const res = await customData.collection.updateOne({ _id: existing._id, ...sized }, update, { maxTimeMS });
    if (res.matchedCount === 1) return;
    // The document changed (or went) since it was read: read and measure again.
  }
  throw new AppError(409, ErrorCode.MongoDBError, 'custom data changed concurrently; retry');
}

const MAX_PATCH_ATTEMPTS = 8;
