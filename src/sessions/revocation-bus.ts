import { EventEmitter } from 'node:events';
import type { RevokeReason } from '../protocol';

export interface SessionEndedEvent {
  sid: string;
  userId: string;
  reason: RevokeReason;
}

export type SessionEndedHandler = (event: SessionEndedEvent) => void;

/**
 * Carries "this session has ended" to every interested party on every node.
 * In-process by default; the Redis implementation fans it out across nodes.
 * Delivery includes the publishing node, and handlers must be idempotent.
 */
export abstract class RevocationBus {
  abstract publish(event: SessionEndedEvent): Promise<void>;
  abstract subscribe(handler: SessionEndedHandler): () => void;
  /** Sessions other nodes ended within the last access-token lifetime (none in-process). */
  async recent(): Promise<SessionEndedEvent[]> {
    return [];
  }
}

export class LocalRevocationBus extends RevocationBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(event: SessionEndedEvent): Promise<void> {
    this.emitter.emit('ended', event);
  }

  subscribe(handler: SessionEndedHandler): () => void {
    this.emitter.on('ended', handler);
    return () => this.emitter.off('ended', handler);
  }
}
