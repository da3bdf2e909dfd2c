import { AfterQueryEvent, EntitySubscriberInterface, EventSubscriber } from 'typeorm';

interface PooledConnection {
  destroy?: () => void;
  stream?: { destroy?: () => void };
}

/**
 * A MySQL query that timed out is still the command its connection is waiting on: mysql2
 * answers the caller with PROTOCOL_SEQUENCE_TIMEOUT but keeps the connection, and the pool
 * hands it out again, so the next query on it waits, with no timeout of its own, behind a
 * reply that may never come (a stalled database). Such a connection is taken out of the pool
 * and its socket destroyed (mysql2's destroy() only half-closes it, which a stalled peer never
 * completes); the pool opens a fresh one.
 */
@EventSubscriber()
export class DropTimedOutConnections implements EntitySubscriberInterface {
  afterQuery(event: AfterQueryEvent<unknown>): void {
    if (event.success || (event.error as { code?: unknown } | undefined)?.code !== 'PROTOCOL_SEQUENCE_TIMEOUT') return;
    const { databaseConnection } = event.queryRunner as unknown as { databaseConnection?: PooledConnection };
    databaseConnection?.destroy?.();
    databaseConnection?.stream?.destroy?.();
  }
}
