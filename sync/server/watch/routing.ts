/**
 * Who receives a change of one feed: on an open collection every subscriber whose request
 * matches it; under the owner rule only the document's owner, and its previous owner (as a
 * delete) when the document moved away from them.
 */
import type { ChangeStreamDocument, Collection, Document } from 'mongodb';
import { toCanonicalEJSONText } from '../../protocol/index.js';
import { sseMessage } from '../../protocol/watch.js';
import { clientEvent, hiddenFields, syntheticDelete } from './events.js';
import { Ownership } from './ownership.js';
import type { Access, FeedHost, Subscriber } from './types.js';

export class Routing {
  readonly subscribers = new Set<Subscriber>();
  private readonly byUser = new Map<string, Set<Subscriber>>();
  /** Owner rule only: which documents belong to the subscribed (and joining) users. */
  private readonly ownership: Ownership | undefined;

  constructor(
    private readonly host: FeedHost,
    coll: Collection<Document>,
    private readonly access: Access,
  ) {
    if (access.kind === 'owner')
      this.ownership = new Ownership(coll, access.field, host.options.maxTrackedIdsPerUser);
  }

  /** A user is joining: under the owner rule their documents are looked up (see ready()). */
  acquire(userId: string): void {
    this.ownership?.acquire(userId);
  }

  /** Resolves when the user's documents are known (rejects when they could not be read). */
  ready(userId: string): Promise<void> | undefined {
    return this.ownership?.loaded(userId);
  }

  /** Undoes acquire() for a user who did not become a subscriber. */
  release(userId: string): void {
    this.ownership?.release(userId);
  }

  add(sub: Subscriber): void {
    this.subscribers.add(sub);
    const set = this.byUser.get(sub.userId) ?? new Set<Subscriber>();
    this.byUser.set(sub.userId, set);
    set.add(sub);
  }

  /** False when it was not (or no longer) subscribed; else its acquire() is undone too. */
  remove(sub: Subscriber): boolean {
    if (!this.subscribers.delete(sub)) return false;
    const set = this.byUser.get(sub.userId);
    set?.delete(sub);
    if (set?.size === 0) this.byUser.delete(sub.userId);
    this.release(sub.userId);
    return true;
  }

  dispatch(change: ChangeStreamDocument): void {
    const now = this.host.now();
    if (!this.ownership) {
      if (change.operationType === 'invalidate') return;
      const event = clientEvent(change, hiddenFields(this.access, false));
      if (event) this.send(this.subscribers, event, now);
      return;
    }
    // drop, rename, invalidate...: no document, so no owner to deliver to.
    const route = this.ownership.route(change);
    if (!route) return;
    const { owner, previous } = route;
    if (owner !== undefined) this.deliver(owner, clientEvent(change, hiddenFields(this.access, true)), now);
    if (previous !== undefined && previous !== owner) {
      // Moved to another owner: for its old owner the document is gone.
      const documentKey = (change as { documentKey: Document }).documentKey;
      this.deliver(previous, syntheticDelete(change, documentKey), now);
    }
  }

  private deliver(userId: string, event: Document | undefined, now: number): void {
    const subs = this.byUser.get(userId);
    if (subs && event) this.send(subs, event, now);
  }

  /** One encoding per event, whatever the number of subscribers it matches. */
  private send(subs: Set<Subscriber>, event: Document, now: number): void {
    let block: string | undefined;
    for (const sub of [...subs]) {
      if (!sub.matches(event)) continue;
      block ??= sseMessage(toCanonicalEJSONText(event));
      if (!sub.sink.send(block, now)) this.host.dropSlow(sub);
    }
  }
}
