/** A small typed event emitter (no Node `events` in browsers). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- handler parameter lists vary per event
type Handlers = Record<string, (...args: any[]) => void>;

export class Emitter<E extends Handlers> {
  private readonly handlers = new Map<keyof E, Set<E[keyof E]>>();

  /** Adds a handler; the returned function removes it. */
  on<K extends keyof E>(event: K, handler: E[K]): () => void {
    let set = this.handlers.get(event);
    if (!set) this.handlers.set(event, (set = new Set()));
    set.add(handler);
    return () => this.off(event, handler);
  }

  off<K extends keyof E>(event: K, handler: E[K]): void {
    this.handlers.get(event)?.delete(handler);
  }

  protected emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): void {
    for (const handler of [...(this.handlers.get(event) ?? [])]) {
      try {
        handler(...args);
      } catch (error) {
        // An app's handler that throws must not break the SDK's own bookkeeping.
        console.error(`@parley/client: a "${String(event)}" handler threw`, error);
      }
    }
  }
}
