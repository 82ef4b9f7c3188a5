/**
 * The data API's operations as realm-web and Realm Core send them: one argument schema each
 * (`functions/call` with service `mongodb-atlas`), and which of them write.
 */
import type { Document } from 'mongodb';
import { z } from 'zod';
import { unwrapBsonNumber } from './projection.js';

const doc = z.record(z.string(), z.unknown()) as unknown as z.ZodType<Document>;
const target = { database: z.string().min(1).max(64), collection: z.string().min(1).max(255) };
const sort = doc.optional();
/** Canonical EJSON numbers arrive as Int32 / Long / Double objects. */
const bsonNumber = z.preprocess(unwrapBsonNumber, z.number().int().min(0));
const limit = bsonNumber.optional();

export const opSchemas = {
  find: z.object({ ...target, query: doc.default({}), project: doc.optional(), sort, limit }),
  findOne: z.object({ ...target, query: doc.default({}), project: doc.optional(), sort }),
  findOneAndUpdate: z.object({
    ...target,
    filter: doc,
    update: doc,
    sort,
    projection: doc.optional(),
    upsert: z.boolean().optional(),
    returnNewDocument: z.boolean().optional(),
  }),
  // realm-web 2.0.1 sends findOneAndDelete as findOneAndReplace without `update`.
  findOneAndReplace: z.object({
    ...target,
    filter: doc,
    update: doc.optional(),
    sort,
    projection: doc.optional(),
    upsert: z.boolean().optional(),
    returnNewDocument: z.boolean().optional(),
  }),
  findOneAndDelete: z.object({ ...target, filter: doc, sort, projection: doc.optional() }),
  aggregate: z.object({ ...target, pipeline: z.array(doc) }),
  count: z.object({ ...target, query: doc.default({}), limit }),
  insertOne: z.object({ ...target, document: doc }),
  insertMany: z.object({ ...target, documents: z.array(doc).min(1) }),
  updateOne: z.object({
    ...target,
    query: doc,
    update: doc,
    upsert: z.boolean().optional(),
    arrayFilters: z.array(doc).optional(),
  }),
  updateMany: z.object({
    ...target,
    query: doc,
    update: doc,
    upsert: z.boolean().optional(),
    arrayFilters: z.array(doc).optional(),
  }),
  deleteOne: z.object({ ...target, query: doc.default({}) }),
  deleteMany: z.object({ ...target, query: doc.default({}) }),
} as const;
export type OpName = keyof typeof opSchemas;

const READ_OPS = new Set(['find', 'findOne', 'aggregate', 'count']);
/** Operations that change data (they need a live session, not only a valid token). */
export function isWriteOperation(op: string): boolean {
  return Object.hasOwn(opSchemas, op) && !READ_OPS.has(op);
}
