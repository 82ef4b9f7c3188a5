/**
 * Which documents belong to the users a feed serves, for the owner rule: deletes carry no
 * document, so a delete can reach its owner only through what was known before. Each user's
 * _ids are loaded when their first subscriber joins and kept current from the events; a user
 * is forgotten when their last subscriber leaves.
 */
import type { ChangeStreamDocument, Collection, Document } from 'mongodb';
import { DEFAULT_LIMITS } from '../limits.js';
import { idKey } from './events.js';

/** Who a change belongs to now (`owner`) and who it belonged to before (`previous`). */
export interface Route {
  owner: string | undefined;
  previous: string | undefined;
}

export class Ownership {
  /** _id key → owner, only for documents of users with a subscriber (or joining). */
  private readonly owners = new Map<string, string>();
  private readonly idsByUser = new Map<string, Set<string>>();
  private readonly userRefs = new Map<string, number>();
  private readonly loads = new Map<string, Promise<void>>();

  constructor(
    private readonly coll: Collection<Document>,
    /** The owner field: a document is the user's when it holds their id. */
    private readonly field: string,
    /** Per user: _ids remembered (a user with more gets deletes of the rest undelivered). */
    private readonly maxIdsPerUser: number,
  ) {}

  /** Starts tracking a user (the first reference reads their _ids: see loaded()). */
  acquire(userId: string): void {
    const refs = this.userRefs.get(userId) ?? 0;
    this.userRefs.set(userId, refs + 1);
    if (refs > 0) return;
    this.idsByUser.set(userId, new Set());
    const load = (async () => {
      const docs = await this.coll
        .find(
          { [this.field]: userId },
          { projection: { _id: 1 }, limit: this.maxIdsPerUser, maxTimeMS: DEFAULT_LIMITS.maxTimeMS },
        )
        .toArray();
      // Events seen meanwhile are newer than this read: they win.
      for (const doc of docs) {
        const key = idKey(doc._id);
        if (!this.owners.has(key)) this.track(key, userId);
      }
    })();
    this.loads.set(userId, load);
    const settled = () => {
      if (this.loads.get(userId) === load) this.loads.delete(userId);
    };
    load.then(settled, settled);
  }

  /** The read of a user's _ids under way, if any (it rejects when the read failed). */
  loaded(userId: string): Promise<void> | undefined {
    return this.loads.get(userId);
  }

  /** Undoes one acquire(); the last one forgets the user's documents. */
  release(userId: string): void {
    const refs = (this.userRefs.get(userId) ?? 0) - 1;
    if (refs > 0) {
      this.userRefs.set(userId, refs);
      return;
    }
    this.userRefs.delete(userId);
    for (const key of this.idsByUser.get(userId) ?? []) this.owners.delete(key);
    this.idsByUser.delete(userId);
  }

  /**
   * Routes a change and records its effect. Undefined for changes without a document (drop,
   * rename, invalidate): there is no owner to deliver them to.
   */
  route(change: ChangeStreamDocument): Route | undefined {
    const documentKey = (change as { documentKey?: { _id?: unknown } }).documentKey;
    if (!documentKey || documentKey._id === undefined) return undefined;
    const key = idKey(documentKey._id);
    const previous = this.owners.get(key);
    let owner: string | undefined;
    if (change.operationType === 'delete') {
      owner = previous;
      this.track(key, undefined);
    } else if ('fullDocument' in change && change.fullDocument) {
      const value = (change.fullDocument as Document)[this.field];
      owner = typeof value === 'string' ? value : undefined;
      this.track(key, owner);
    } else {
      // An update whose document was deleted before the lookup: route by what we knew.
      owner = previous;
    }
    return { owner, previous };
  }

  /** Records (or forgets, owner undefined) who owns a document, for users being watched. */
  private track(key: string, owner: string | undefined): void {
    const previous = this.owners.get(key);
    if (previous === owner) return;
    if (previous !== undefined) {
      this.owners.delete(key);
      this.idsByUser.get(previous)?.delete(key);
    }
    if (owner === undefined) return;
    const ids = this.idsByUser.get(owner);
    if (!ids || ids.size >= this.maxIdsPerUser) return;
    ids.add(key);
    this.owners.set(key, owner);
  }
}
