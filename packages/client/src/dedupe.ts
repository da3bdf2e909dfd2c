/**
 * Ids already delivered to the app, bounded: the newest `capacity` are remembered (a resume
 * returns at most a few hundred messages, so a duplicate is always recent).
 */
export class SeenIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 2000) {}

  /** Records `id`; false when it was already seen. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
    return true;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }
}

/**
 * A channel's position: publications at or below the last offset seen are duplicates
 * (offsets strictly increase per channel and are never reused).
 */
export class ChannelCursor {
  constructor(private last = 0) {}

  get offset(): number {
    return this.last;
  }

  /** Records `offset`; false for a duplicate or an older one. */
  advance(offset: number): boolean {
    if (offset <= this.last) return false;
    this.last = offset;
    return true;
  }
}

/** The later of two message ids (ULIDs sort in creation order). */
export const laterId = (a: string | undefined, b: string): string => (a === undefined || b > a ? b : a);
