/**
 * `context.services` for a function that does not run as system: every call goes through the
 * data API with the caller's id, so the same rules hold as for the caller's own requests.
 * Shaped as App Services' collection handle (`find(...).toArray()`, `findOne`, `insertOne`, …).
 */
import type { Collection, Document } from 'mongodb';
import type { ServicesAccess } from './registry.js';

export type DataCall = (service: string, name: string, args: unknown[], userId: string) => Promise<unknown>;

export function callerServices(call: DataCall, userId: string): ServicesAccess {
  return {
    get(service: string) {
      return {
        db: (database: string) => ({
          collection: (collection: string) => {
            const run = (name: string, args: Document) =>
              call(service, name, [{ database, collection, ...args }], userId);
            const cursor = (name: string, args: Document) => ({ toArray: () => run(name, args) });
            const handle = {
              find: (query: Document = {}, project?: Document) =>
                cursor('find', { query, ...(project ? { project } : {}) }),
              findOne: (query: Document = {}, project?: Document) =>
                run('findOne', { query, ...(project ? { project } : {}) }),
              aggregate: (pipeline: Document[]) => cursor('aggregate', { pipeline }),
              count: (query: Document = {}) => run('count', { query }),
              countDocuments: (query: Document = {}) => run('count', { query }),
              insertOne: (document: Document) => run('insertOne', { document }),
              insertMany: (documents: Document[]) => run('insertMany', { documents }),
              updateOne: (query: Document, update: Document, options: Document = {}) =>
                run('updateOne', { query, update, ...options }),
              updateMany: (query: Document, update: Document, options: Document = {}) =>
                run('updateMany', { query, update, ...options }),
              deleteOne: (query: Document) => run('deleteOne', { query }),
              deleteMany: (query: Document) => run('deleteMany', { query }),
              findOneAndUpdate: (filter: Document, update: Document, options: Document = {}) =>
                run('findOneAndUpdate', { filter, update, ...options }),
              findOneAndReplace: (filter: Document, update: Document, options: Document = {}) =>
                run('findOneAndReplace', { filter, update, ...options }),
              findOneAndDelete: (filter: Document, options: Document = {}) =>
                run('findOneAndDelete', { filter, ...options }),
            };
            return handle as unknown as Collection<Document>;
          },
        }),
      };
    },
  };
}
