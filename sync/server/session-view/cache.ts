/**
 * The sessions the view holds: by refresh-token hash, least recently used first out past the
 * capacity, and by user (a user's sessions end together). `generation` moves with every removal,
 * so a database read that started before a removal is never stored after it.
 */
export interface CachedSession {
  _id: string;
  userId: string;
  deviceId: string;
  expiresAt: Date;
}

export class SessionCache<T extends CachedSession> {
  private readonly byHash = new Map<string, T>();
  private readonly byUser = new Map<string, Set<string>>();
  generation = 0;

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.byHash.size;
  }

  get(hash: string): T | undefined {
    const session = this.byHash.get(hash);
    if (session) {
      // Most recently used last: eviction takes the first.
      this.byHash.delete(hash);
      this.byHash.set(hash, session);
    }
    return session;
  }

  put(session: T): void {
    if (this.capacity <= 0) return;
    this.byHash.delete(session._id);
    this.byHash.set(session._id, session);
    let hashes = this.byUser.get(session.userId);
    if (!hashes) {
      hashes = new Set();
      this.byUser.set(session.userId, hashes);
    }
    hashes.add(session._id);
    while (this.byHash.size > this.capacity) {
      const oldest = this.byHash.keys().next().value as string;
      this.unlink(oldest);
    }
  }

  delete(hash: string): void {
    this.generation += 1;
    this.unlink(hash);
  }

  deleteUser(userId: string): void {
    this.generation += 1;
    for (const hash of this.byUser.get(userId) ?? []) this.byHash.delete(hash);
    this.byUser.delete(userId);
  }

  clear(): void {
    this.generation += 1;
    this.byHash.clear();
    this.byUser.clear();
  }

  private unlink(hash: string): void {
    const session = this.byHash.get(hash);
    if (!session) return;
    this.byHash.delete(hash);
    const hashes = this.byUser.get(session.userId);
    hashes?.delete(hash);
    if (hashes?.size === 0) this.byUser.delete(session.userId);
  }
}
