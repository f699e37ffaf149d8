/**
 * The sessions one thread holds, least recently used first out past a memory budget.
 *
 * A session is looked up by key (a model file) and version (its size and mtime: a replaced file
 * gets a fresh session). Sessions in use are never released; when the budget is exceeded the
 * idle ones that were used longest ago go first. The cost of a session is taken as its model
 * file's size, which is what onnxruntime's CPU provider keeps resident for these models' weights
 * (plus arenas that grow with use; the budget is a ceiling on weights, documented as such).
 */
import type * as ort from 'onnxruntime-node';

/** What the cache releases on eviction: a session, or a model holding several (Whisper's encoder and decoders). */
export interface Releasable {
  release(): Promise<void>;
}

export interface CachedSession<T, S extends Releasable = ort.InferenceSession> {
  session: S;
  /** What else the loader built beside the session (config, voices, tokenizer). */
  extra: T;
  bytes: number;
}

interface Entry<T, S extends Releasable> extends CachedSession<T, S> {
  version: string;
  users: number;
  lastUsed: number;
}

export class SessionCache<T = unknown, S extends Releasable = ort.InferenceSession> {
  private readonly entries = new Map<string, Entry<T, S>>();
  private readonly loading = new Map<string, Promise<Entry<T, S>>>();
  private clock = 0;

  /** `budgetBytes` 0 means no limit. */
  constructor(private readonly budgetBytes: number) {}

  /** Runs `fn` with the session for `key`, loading it first if needed; it stays in the cache after. */
  async use<R>(key: string, version: string, load: () => Promise<CachedSession<T, S>>, fn: (s: CachedSession<T, S>) => Promise<R>): Promise<R> {
    const entry = await this.acquire(key, version, load);
    entry.users++;
    entry.lastUsed = ++this.clock;
    try {
      return await fn(entry);
    } finally {
      entry.users--;
      // Replaced (its file changed) while in use: the new session is in the map; this one goes now.
      if (entry.users === 0 && this.entries.get(key) !== entry) await entry.session.release();
      await this.evict();
    }
  }

  /** Keys of the sessions held now. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Bytes held now, by this cache's measure. */
  heldBytes(): number {
    let total = 0;
    for (const e of this.entries.values()) total += e.bytes;
    return total;
  }

  async clear(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.session.release()));
  }

  private async acquire(key: string, version: string, load: () => Promise<CachedSession<T, S>>): Promise<Entry<T, S>> {
    const have = this.entries.get(key);
    if (have && have.version === version) return have;
    if (have && have.users === 0) {
      this.entries.delete(key);
      await have.session.release();
    }
    const pending = this.loading.get(key);
    if (pending) return pending;
    const promise = load().then((loaded) => {
      const entry: Entry<T, S> = { ...loaded, version, users: 0, lastUsed: ++this.clock };
      this.entries.set(key, entry);
      return entry;
    });
    this.loading.set(key, promise);
    try {
      return await promise;
    } finally {
      this.loading.delete(key);
    }
  }

  private async evict(): Promise<void> {
    if (this.budgetBytes <= 0) return;
    while (this.heldBytes() > this.budgetBytes) {
      let victim: [string, Entry<T, S>] | undefined;
      for (const pair of this.entries) {
        if (pair[1].users === 0 && (!victim || pair[1].lastUsed < victim[1].lastUsed)) victim = pair;
      }
      if (!victim) return;
      this.entries.delete(victim[0]);
      await victim[1].session.release();
    }
  }
}
