/**
 * The `mongodb-atlas` service of functions/call (docs/server.md, "Rules"): realm-web's
 * MongoDB operations, run through the official driver under the data access rules.
 */
import { BSON, type Collection, type Document, type MongoClient, MongoInvalidArgumentError } from 'mongodb';
import type { z } from 'zod';
import { AppError, ErrorCode, isPlainObject, SYNC_BOOKKEEPING_FIELD } from '../protocol/index.js';
import { withoutBookkeeping } from './custom-data.js';
import { guardDocumentSize } from './custom-data-size.js';
import { isWriteOperation, type OpName, opSchemas } from './data-api-ops.js';

export { isWriteOperation };

import { databaseAppError } from './db-errors.js';
import { parseOr400 } from './http.js';
import {
  assertDocumentDepth,
  assertPipelineWithinLimits,
  assertQueryWithinLimits,
  DEFAULT_LIMITS,
  type RequestLimits,
} from './limits.js';
import { applyProjection } from './projection.js';
import type { Quotas } from './quotas.js';
import type { RuleUser } from './role-expressions.js';
import {
  assertNoForbiddenOperators,
  assertOperationAllowed,
  assertSafePipeline,
  assertWritableFields,
  type CollectionRule,
  type CollectionRules,
  collectionRule,
  denied,
  isUpdateDocument,
  ownedInsert,
  ownedUpdate,
  readableFields,
  scopeFilter,
} from './rules.js';

/** The collection's rule, with the caller's id where documents are owned. */
type Access = (CollectionRule & { kind: 'open' }) | (CollectionRule & { kind: 'owner'; userId: string });

export interface DataApiConfig {
  serviceName: string;
  customData: {
    enabled: boolean;
    database: string;
    collection: string;
    userIdField: string;
    rules: 'owner' | 'read-only';
    /** Largest custom data document a client write may leave (custom-data-size.ts). */
    maxDocumentBytes: number;
  };
  openCollections: string[];
  /** Rules per "db.collection" (an imported app's), checked before the defaults. */
  collectionRules?: CollectionRules;
  limits?: RequestLimits;
}

export class DataApi {
  private readonly open: Set<string>;

  constructor(
    private readonly mongo: MongoClient,
    private readonly config: DataApiConfig,
    private readonly quotas?: Quotas,
  ) {
    this.open = new Set(config.openCollections);
  }

  /** `user`: who asks, for rules whose roles depend on the user (their custom data, type). */
  async call(
    serviceName: string,
    op: string,
    args: unknown[],
    userId: string,
    user?: RuleUser,
  ): Promise<unknown> {
    if (serviceName !== this.config.serviceName) {
      throw new AppError(404, ErrorCode.ServiceNotFound, `service not found: '${serviceName}'`);
    }
    if (!Object.hasOwn(opSchemas, op)) {
      throw new AppError(404, ErrorCode.ServiceCommandNotFound, `function not found: '${op}'`);
    }
    if (args.length !== 1)
      throw new AppError(400, ErrorCode.InvalidParameter, `${op} takes exactly one argument object`);
    const a = parseOr400(opSchemas[op as OpName] as z.ZodType<Document>, args[0], op);
    const access = this.accessFor(a.database, a.collection, userId, user);
    // Before any database work (quota reservation, the size guard's read): a request the limits
    // refuse costs MongoDB nothing, so a stream of them does not slow other users down.
    assertArgumentsWithinLimits(a, this.config.limits ?? DEFAULT_LIMITS);
    const coll = this.mongo.db(a.database).collection(a.collection);
    // Every client-writable collection counts against the user's quotas (quotas.ts).
    const quotas = isWriteOperation(op) ? this.quotas : undefined;
    await quotas?.reserveWrite(userId, op, a);
    try {
      const cd = this.config.customData;
      const result =
        // Only writes that can grow a document are measured (reads and deletes cannot).
        access.kind === 'owner' &&
        access.sizeGuard === true &&
        isWriteOperation(op) &&
        !op.startsWith('delete') &&
        op !== 'findOneAndDelete'
          ? await guardDocumentSize(
              this.mongo,
              coll,
              access.field,
              access.userId,
              cd.maxDocumentBytes,
              (inTransaction) => this.run(op as OpName, a, inTransaction, access),
              (this.config.limits ?? DEFAULT_LIMITS).maxTimeMS,
            )
          : await this.run(op as OpName, a, coll, access);
      const deleted = (result as { deletedCount?: unknown } | null)?.deletedCount;
      if (typeof deleted === 'number') await quotas?.release(userId, deleted);
      return result;
    } catch (error) {
      await quotas?.refund(userId, op, a);
      // The driver refusing the request's content (e.g. a sort direction "x") is that request's 400.
      if (error instanceof MongoInvalidArgumentError || BSON.BSONError.isBSONError(error)) {
        throw new AppError(400, ErrorCode.InvalidParameter, `${op}: ${error.message}`);
      }
      throw databaseAppError(error) ?? error;
    }
  }

  private accessFor(database: string, collection: string, userId: string, user?: RuleUser): Access {
    const rule = collectionRule(
      this.config.customData,
      this.open,
      database,
      collection,
      this.config.collectionRules,
      user ?? { id: userId, customData: {} },
    );
    return rule.kind === 'owner' ? { ...rule, userId } : rule;
  }

  private async run(op: OpName, a: Document, coll: Collection<Document>, access: Access): Promise<unknown> {
    const isWrite = isWriteOperation(op);
    if (isWrite && access.kind === 'owner' && access.readOnly && access.sizeGuard) {
      throw denied('custom user data is read-only for clients; use the updateCustomUserData function');
    }
    assertOperationAllowed(access, op, a.upsert === true);
    const limits = this.config.limits ?? DEFAULT_LIMITS;
    const maxTimeMS = limits.maxTimeMS;
    const filter = (f: Document): Document => {
      assertNoForbiddenOperators(f, 'filter');
      assertQueryWithinLimits(f, 'filter', limits);
      return access.kind === 'owner' ? scopeFilter(f, access.field, access.userId) : f;
    };
    const update = (u: Document): Document => {
      assertNoForbiddenOperators(u, 'update');
      // Values an update stores are data (a stored regex is never run); only $pull's
      // conditions are evaluated like a filter, so only they get the regex check.
      assertDocumentDepth(u, 'update', limits);
      if (isPlainObject(u.$pull)) assertQueryWithinLimits(u.$pull, 'update', limits);
      assertNoBookkeeping(u, access);
      assertWritableFields(u, access.fields, isUpdateDocument(u));
      return access.kind === 'owner' ? ownedUpdate(u, access.field, access.userId) : u;
    };
    const insert = (d: Document): Document => {
      assertDocumentDepth(d, 'document', limits);
      assertNoBookkeeping(d, access);
      assertWritableFields(d, access.fields, false);
      return access.kind === 'owner' ? ownedInsert(d, access.field, access.userId) : d;
    };
    const out = (d: Document | null): Document | null =>
      d && readableFields(access.kind === 'owner' ? withoutBookkeeping(d) : d, access.fields);
    const returnDocument = a.returnNewDocument ? 'after' : 'before';
    // Every operator-bearing argument, not only filters and updates ($function in a projection runs JS).
    for (const key of ['project', 'projection', 'arrayFilters', 'sort'] as const)
      if (a[key] !== undefined) assertNoForbiddenOperators(a[key], key);

    switch (op) {
      case 'find': {
        const docs = await coll
          .find(filter(a.query), { projection: a.project, sort: a.sort, limit: a.limit, maxTimeMS })
          .toArray();
        return docs.map(out);
      }
      case 'findOne':
        return out(await coll.findOne(filter(a.query), { projection: a.project, sort: a.sort, maxTimeMS }));
      case 'findOneAndUpdate':
      case 'findOneAndReplace': {
        const options = { sort: a.sort, upsert: a.upsert ?? false, returnDocument, maxTimeMS } as const;
        let result: Document | null;
        if (op === 'findOneAndReplace' && a.update === undefined) {
          result = await coll.findOneAndDelete(filter(a.filter), { sort: a.sort, maxTimeMS });
        } else if (isUpdateDocument(a.update)) {
          if (op === 'findOneAndReplace')
            throw new AppError(
              400,
              ErrorCode.InvalidParameter,
              'replacement document must not contain update operators',
            );
          result = await coll.findOneAndUpdate(filter(a.filter), update(a.update), options);
        } else {
          // Atlas gives an update document without operators replacement semantics.
          result = await coll.findOneAndReplace(filter(a.filter), update(a.update), options);
        }
        // Projected here, on the document without its bookkeeping field (one code path for all findOneAnd*).
        return applyProjection(out(result), a.projection);
      }
      case 'findOneAndDelete':
        return applyProjection(
          out(await coll.findOneAndDelete(filter(a.filter), { sort: a.sort, maxTimeMS })),
          a.projection,
        );
      case 'aggregate': {
        const pipeline = a.pipeline as Document[];
        // A pipeline can rename a hidden field into view: no aggregation under field rules.
        if (access.fields) throw denied('aggregation is not allowed on a collection with field rules');
        assertSafePipeline(pipeline);
        assertPipelineWithinLimits(pipeline, limits);
        const scoped =
          access.kind === 'owner' ? [{ $match: { [access.field]: access.userId } }, ...pipeline] : pipeline;
        return (await coll.aggregate(scoped, { maxTimeMS }).toArray()).map(out);
      }
      case 'count':
        // An Int64, as App Services answered: Realm Core reads the count as one.
        return BSON.Long.fromNumber(
          await coll.countDocuments(filter(a.query), a.limit ? { limit: a.limit, maxTimeMS } : { maxTimeMS }),
        );
      case 'insertOne': {
        const res = await coll.insertOne(insert(a.document), { maxTimeMS });
        return { insertedId: res.insertedId };
      }
      case 'insertMany': {
        const res = await coll.insertMany((a.documents as Document[]).map(insert), { maxTimeMS });
        return { insertedIds: Object.keys(res.insertedIds).map((i) => res.insertedIds[Number(i)]) };
      }
      case 'updateOne':
      case 'updateMany': {
        const options = { upsert: a.upsert ?? false, arrayFilters: a.arrayFilters, maxTimeMS };
        if (a.arrayFilters) assertQueryWithinLimits(a.arrayFilters, 'arrayFilters', limits);
        const u = update(a.update);
        const res =
          op === 'updateOne'
            ? isUpdateDocument(u)
              ? await coll.updateOne(filter(a.query), u, options)
              : await coll.replaceOne(filter(a.query), u, { upsert: options.upsert, maxTimeMS })
            : // updateMany cannot replace many documents; Atlas treats a plain document as $set.
              await coll.updateMany(filter(a.query), isUpdateDocument(u) ? u : { $set: u }, options);
        const result: Document = { matchedCount: res.matchedCount, modifiedCount: res.modifiedCount };
        if (res.upsertedId != null) result.upsertedId = res.upsertedId;
        return result;
      }
      case 'deleteOne':
        return { deletedCount: (await coll.deleteOne(filter(a.query), { maxTimeMS })).deletedCount };
      case 'deleteMany':
        return { deletedCount: (await coll.deleteMany(filter(a.query), { maxTimeMS })).deletedCount };
    }
  }
}

/** The checks `run` makes on each argument, all made up front (run makes them again: cheap). */
function assertArgumentsWithinLimits(a: Document, limits: RequestLimits): void {
  for (const key of ['query', 'filter'] as const) {
    if (!isPlainObject(a[key])) continue;
    assertNoForbiddenOperators(a[key], 'filter');
    assertQueryWithinLimits(a[key], 'filter', limits);
  }
  if (a.update !== null && typeof a.update === 'object') {
    assertNoForbiddenOperators(a.update, 'update');
    assertDocumentDepth(a.update, 'update', limits);
    if (isPlainObject(a.update.$pull)) assertQueryWithinLimits(a.update.$pull, 'update', limits);
  }
  if (isPlainObject(a.document)) assertDocumentDepth(a.document, 'document', limits);
  if (Array.isArray(a.documents)) for (const d of a.documents) assertDocumentDepth(d, 'document', limits);
  if (Array.isArray(a.pipeline)) {
    assertSafePipeline(a.pipeline);
    assertPipelineWithinLimits(a.pipeline, limits);
  }
  if (a.arrayFilters) assertQueryWithinLimits(a.arrayFilters, 'arrayFilters', limits);
}

/** Clients never write the server's outbox bookkeeping (it guards exactly-once delivery). */
function assertNoBookkeeping(value: Document, access: Access): void {
  if (access.kind !== 'owner') return;
  const mentions = (d: Document) =>
    Object.keys(d).some((k) => k === SYNC_BOOKKEEPING_FIELD || k.startsWith(`${SYNC_BOOKKEEPING_FIELD}.`));
  if (
    mentions(value) ||
    Object.values(value).some((v) => v && typeof v === 'object' && !Array.isArray(v) && mentions(v))
  ) {
    throw denied(`${SYNC_BOOKKEEPING_FIELD} is reserved for the server`);
  }
}
