/** Change events as a client may see them: the fields it may read, and only those. */
import type { ChangeStreamDocument, Document } from 'mongodb';
import { isPlainObject, SYNC_BOOKKEEPING_FIELD, toRelaxedEJSONText } from '../../protocol/index.js';
import { readableFields } from '../rules.js';
import type { Access } from './types.js';

/** Fields of a change event a client sees (no session ids, no pre-images). */
const EVENT_FIELDS = [
  '_id',
  'operationType',
  'clusterTime',
  'wallTime',
  'ns',
  'to',
  'documentKey',
  'fullDocument',
  'updateDescription',
] as const;

/** Which top-level fields a subscriber may not see: bookkeeping on owned data, and field rules. */
export function hiddenFields(access: Access, owned: boolean): ((field: string) => boolean) | undefined {
  const fields = access.fields;
  if (!owned && !fields) return undefined;
  return (field) =>
    (owned && field === SYNC_BOOKKEEPING_FIELD) ||
    (fields !== undefined && field !== '_id' && !readableFields({ [field]: true }, fields)[field]);
}

/** The event as clients see it; undefined when nothing visible changed (hidden fields only). */
export function clientEvent(
  change: ChangeStreamDocument,
  hide: ((field: string) => boolean) | undefined,
): Document | undefined {
  const source = change as unknown as Document;
  const event: Document = {};
  for (const key of EVENT_FIELDS) if (source[key] !== undefined) event[key] = source[key];
  if (!hide) return event;
  if (isPlainObject(event.fullDocument))
    event.fullDocument = Object.fromEntries(
      Object.entries(event.fullDocument as Document).filter(([k]) => !hide(k)),
    );
  const description = event.updateDescription as Document | undefined;
  if (description) {
    const hidden = (path: string) => hide(path.split('.')[0] as string);
    const updatedFields = Object.fromEntries(
      Object.entries((description.updatedFields ?? {}) as Document).filter(([path]) => !hidden(path)),
    );
    const removedFields = ((description.removedFields ?? []) as string[]).filter((p) => !hidden(p));
    const truncatedArrays = ((description.truncatedArrays ?? []) as Document[]).filter(
      (t) => !hidden(String(t.field)),
    );
    if (Object.keys(updatedFields).length === 0 && removedFields.length === 0 && truncatedArrays.length === 0)
      return undefined;
    event.updateDescription = { ...description, updatedFields, removedFields, truncatedArrays };
  }
  return event;
}

export function syntheticDelete(change: ChangeStreamDocument, documentKey: Document): Document {
  const source = change as unknown as Document;
  return {
    _id: source._id,
    operationType: 'delete',
    clusterTime: source.clusterTime,
    wallTime: source.wallTime,
    ns: source.ns,
    documentKey: { _id: documentKey._id },
  };
}

/** A stable key for an _id (ObjectId, string, number...). */
export function idKey(id: unknown): string {
  return toRelaxedEJSONText({ id });
}
