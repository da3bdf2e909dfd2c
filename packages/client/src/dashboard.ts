import type { Dashboard, Stats } from '../../../src/protocol';
import { Connection, ConnectionState } from './connection';
import { Emitter } from './emitter';

export type DashboardEvents = {
  state: (state: ConnectionState) => void;
  /** every 2 s */
  stats: (stats: Stats) => void;
};

/** `/dashboard` (admins only: anyone else ends in `closed` / `refused` with FORBIDDEN). */
export class DashboardClient extends Emitter<DashboardEvents> {
  constructor(private readonly conn: Connection<Dashboard>) {
    super();
    conn.on('state', (state) => this.emit('state', state));
    conn.onEvent('stats', (stats) => this.emit('stats', stats));
  }

  get state(): ConnectionState {
    return this.conn.state;
  }

  connect(): this {
    this.conn.start();
    return this;
  }

  close(): void {
    this.conn.close();
  }

  /** The current figures at once. */
  stats(): Promise<Stats> {
    return this.conn.request('stats:get', {});
  }
}
