/**
 * Data access rules for client requests to the MongoDB service. Pure functions, so each
 * rule is tested on its own. On the custom data collection a user may only touch documents
 * whose user ID field equals their id: the condition is ANDed into every filter, and a
 * write that would create a document for another id, or move one away, is refused (403).
 */
import type { Document } from 'mongodb';
import { AppError, ErrorCode, isPlainObject } from '../protocol/index.js';
import { evaluate, type RoleExpression, type RuleUser } from './role-expressions.js';

/** Operators that run server-side JavaScript or reach other collections. */
const FORBIDDEN_OPERATORS = new Set(['$where', '$function', '$accumulator']);
const FORBIDDEN_STAGES = new Set(['$out', '$merge', '$lookup', '$graphLookup', '$unionWith', '$documents']);

export function denied(message: string): AppError {
  return new AppError(403, ErrorCode.NoMatchingRuleFound, message);
}

/** Rejects `$where`, `$function` and `$accumulator` anywhere in a filter, update or pipeline. */
export function assertNoForbiddenOperators(value: unknown, where: string): void {
  if (Array.isArray(value)) {
    for (const item of value) assertNoForbiddenOperators(item, where);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (FORBIDDEN_OPERATORS.has(key)) {
      throw new AppError(400, ErrorCode.InvalidParameter, `operator ${key} is not allowed in ${where}`);
    }
    assertNoForbiddenOperators(child, where);
  }
}

/** Refuses stages that reach other collections at any depth (e.g. a $lookup inside $facet). */
export function assertSafePipeline(pipeline: unknown): void {
  if (Array.isArray(pipeline)) {
    for (const item of pipeline) assertSafePipeline(item);
    return;
  }
  if (pipeline === null || typeof pipeline !== 'object') return;
  for (const [key, child] of Object.entries(pipeline)) {
    if (FORBIDDEN_STAGES.has(key)) throw denied(`aggregation stage ${key} is not allowed for clients`);
    if (FORBIDDEN_OPERATORS.has(key))
      throw new AppError(400, ErrorCode.InvalidParameter, `operator ${key} is not allowed in pipeline`);
    assertSafePipeline(child);
  }
}

/**
 * Returns the filter restricted to the user's own documents. The user ID field is kept as a
 * top-level equality, so that an upsert creates the document with it.
 */
export function scopeFilter(filter: Document, field: string, userId: string): Document {
  if (!Object.hasOwn(filter, field)) return { ...filter, [field]: userId };
  const condition = filter[field];
  if (typeof condition === 'string' || !isPlainObject(condition) || !hasOperatorKeys(condition)) {
    if (condition === userId) return filter;
    throw denied(`user may only access documents where ${field} is their own id`);
  }
  return {
    ...filter,
    [field]: userId,
    $and: [...(Array.isArray(filter.$and) ? filter.$and : []), { [field]: condition }],
  };
}

/**
 * Checks an update (operators or a replacement) on the user's documents: the user ID field may
 * only ever be set to the user's own id, never unset or renamed.
 */
export function ownedUpdate(update: Document | Document[], field: string, userId: string): Document {
  if (Array.isArray(update)) throw denied('pipeline updates are not allowed on this collection');
  // A replacement keeps the document with its owner: it gets the user's id when it has none.
  if (!isUpdateDocument(update)) return ownedInsert(update, field, userId);
  for (const [operator, spec] of Object.entries(update)) {
    if (!isPlainObject(spec)) continue;
    for (const [path, value] of Object.entries(spec)) {
      const touchesOwner = path === field || path.startsWith(`${field}.`);
      if (
        operator === '$rename' &&
        (touchesOwner || value === field || String(value).startsWith(`${field}.`))
      ) {
        throw denied(`${field} cannot be renamed`);
      }
      if (!touchesOwner) continue;
      if ((operator === '$set' || operator === '$setOnInsert') && path === field && value === userId)
        continue;
      throw denied(`${field} can only be set to the user's own id`);
    }
  }
  return update;
}

/** Inserted (or replacement) documents carry the user's id: added when absent, any other id refused. */
export function ownedInsert(doc: Document, field: string, userId: string): Document {
  if (!Object.hasOwn(doc, field)) return { ...doc, [field]: userId };
  if (doc[field] !== userId)
    throw denied(`cannot insert a document for another user (${field} must be the user's own id)`);
  return doc;
}

export function isUpdateDocument(update: Document): boolean {
  const keys = Object.keys(update);
  return keys.length > 0 && keys.every((key) => key.startsWith('$'));
}

function hasOperatorKeys(value: Document): boolean {
  return Object.keys(value).some((key) => key.startsWith('$'));
}

/** Field-level rules (App Services' `fields` / `additional_fields`), on top-level fields. */
export interface FieldRules {
  fields: Record<string, { read: boolean; write: boolean }>;
  additional: { read: boolean; write: boolean };
}

/**
 * A collection's rule as configured (`collectionRules["db.coll"]`, written by the importer): one
 * role, or a list of roles of which the first whose `when` holds for the requesting user applies.
 */
export interface ConfiguredRule {
  /** App Services' `apply_when`, about the requesting user only (role-expressions.ts); unset: always. */
  when?: RoleExpression;
  /** Documents are a user's when this field equals their id; unset: every document. */
  ownerField?: string;
  read: boolean;
  write: boolean;
  insert: boolean;
  delete: boolean;
  fields?: FieldRules;
}

/** Every collection's configured roles, by "db.collection" (and "*" for the others). */
export type CollectionRules = Readonly<Record<string, ConfiguredRule | ConfiguredRule[]>>;

/** Who may reach a collection and what they may do there. Unset permissions are allowed. */
export type CollectionRule = (
  | { kind: 'owner'; field: string; readOnly: boolean; sizeGuard?: boolean }
  | { kind: 'open'; readOnly?: boolean }
) & { insert?: boolean; delete?: boolean; fields?: FieldRules };

/** The one rule for which collections clients reach, shared by the data API and watch. */
export function collectionRule(
  customData: { enabled: boolean; database: string; collection: string; userIdField: string; rules?: string },
  openCollections: ReadonlySet<string> | readonly string[],
  database: string,
  collection: string,
  configured: CollectionRules = {},
  /** Who asks (for roles with `when`); without it such roles never apply. */
  user?: RuleUser,
): CollectionRule {
  const key = `${database}.${collection}`;
  const isCustomData =
    customData.enabled && database === customData.database && collection === customData.collection;
  // An imported app's default rule (`*`) covers every collection without its own.
  const roles = configured[key] ?? configured['*'];
  if (roles) {
    const rule = [roles]
      .flat()
      .find((role) => !role.when || (user !== undefined && evaluate(role.when, user)));
    if (!rule) throw denied(`no role of ${key} applies to this user`);
    if (!rule.read) throw denied(`no rule allows access to ${key}`);
    const permissions = {
      insert: rule.insert,
      delete: rule.delete,
      ...(rule.fields ? { fields: rule.fields } : {}),
    };
    return rule.ownerField
      ? {
          kind: 'owner',
          field: rule.ownerField,
          readOnly: !rule.write,
          sizeGuard: isCustomData,
          ...permissions,
        }
      : { kind: 'open', readOnly: !rule.write, ...permissions };
  }
  if (isCustomData)
    return {
      kind: 'owner',
      field: customData.userIdField,
      readOnly: customData.rules === 'read-only',
      sizeGuard: true,
    };
  if (
    Array.isArray(openCollections)
      ? openCollections.includes(key)
      : (openCollections as ReadonlySet<string>).has(key)
  )
    return { kind: 'open' };
  throw denied(`no rule allows access to ${key}`);
}

/** Refuses an operation the rule's role does not grant (insert, delete, any write). */
export function assertOperationAllowed(rule: CollectionRule, op: string, upsert: boolean): void {
  const deletes = op.startsWith('delete') || op === 'findOneAndDelete';
  const inserts = op.startsWith('insert') || upsert;
  const writes = deletes || inserts || op.startsWith('update') || op.startsWith('findOneAnd');
  if (writes && rule.readOnly) throw denied('this role may not write to the collection');
  if (deletes && rule.delete === false) throw denied('this role may not delete documents');
  if (inserts && rule.insert === false) throw denied('this role may not insert documents');
}

/** The document without the fields the role may not read. */
export function readableFields(doc: Document, rules: FieldRules | undefined): Document {
  if (!rules) return doc;
  const out: Document = {};
  for (const [key, value] of Object.entries(doc)) {
    const rule = rules.fields[key] ?? rules.additional;
    if (key === '_id' || rule.read || rule.write) out[key] = value;
  }
  return out;
}

/** Refuses a document (insert, replacement) or an update that touches a field the role may not write. */
export function assertWritableFields(
  value: Document,
  rules: FieldRules | undefined,
  isUpdate: boolean,
): void {
  if (!rules) return;
  const paths = isUpdate
    ? Object.values(value).flatMap((spec) => (isPlainObject(spec) ? Object.keys(spec) : []))
    : Object.keys(value);
  for (const path of paths) {
    const field = path.split('.')[0] as string;
    if (field === '_id') continue;
    if (!(rules.fields[field] ?? rules.additional).write)
      throw denied(`this role may not write the field ${field}`);
  }
}
