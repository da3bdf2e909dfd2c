import type { DataOf, Live, Publication } from '../../../src/protocol';
import { Connection, ConnectionState } from './connection';
import { ParleyAckError } from './errors';
import { LiveClient } from './live';

/**
 * The `/live` recovery logic against a scripted namespace (the server's `/live` lands later):
 * what is asked on resume, and what reaches the app.
 */
class ScriptedLive {
  state: ConnectionState = { status: 'connected' };
  socket = { connected: true };
  calls: Array<{ event: string; payload: Record<string, unknown> }> = [];
  answers = new Map<string, (payload: Record<string, unknown>) => DataOf<Live, 'channel:subscribe'>>();
  private handlers = new Map<string, (payload: unknown) => void>();

  on() {
    return () => undefined;
  }
  onEvent(event: string, handler: (payload: unknown) => void) {
    this.handlers.set(event, handler);
    return () => undefined;
  }
  async request(event: string, payload: Record<string, unknown>) {
    return this.emitNow(event, payload);
  }
  async emitNow(event: string, payload: Record<string, unknown>) {
    this.calls.push({ event, payload });
    const answer = this.answers.get(String(payload.channel));
    if (!answer) throw new ParleyAckError('FORBIDDEN', 'No', event);
    return answer(payload);
  }
  push(event: string, payload: unknown) {
    this.handlers.get(event)?.(payload);
  }
}

const pub = (channel: string, offset: number): Publication => ({ channel, offset, data: { n: offset }, at: '2026-01-01T00:00:00.000Z' });

function setup() {
  const conn = new ScriptedLive();
  const live = new LiveClient(conn as unknown as Connection<Live>);
  const seen: number[] = [];
  live.on('publication', (p) => seen.push(p.offset));
  return { conn, live, seen };
}

describe('LiveClient', () => {
  it('re-subscribes with since = the last offset seen and delivers each publication once, in order', async () => {
    const { conn, live, seen } = setup();
    conn.answers.set('public:feed', () => ({ channel: 'public:feed', offset: 3, publications: [pub('public:feed', 3)], recovered: true }));
    const first = await live.subscribe('public:feed');
    expect(first.publications.map((p) => p.offset)).toEqual([3]); // the answer is the app's to render
    conn.push('publication', pub('public:feed', 4));
    conn.push('publication', pub('public:feed', 4)); // a duplicate
    conn.push('publication', pub('public:feed', 2)); // an old one
    expect(seen).toEqual([4]);

    conn.answers.set('public:feed', (payload) => {
      expect(payload).toEqual({ channel: 'public:feed', since: 4 });
      return {
        channel: 'public:feed',
        offset: 7,
        publications: [pub('public:feed', 4), pub('public:feed', 5), pub('public:feed', 6), pub('public:feed', 7)],
        recovered: true,
      };
    });
    await live.resume();
    expect(seen).toEqual([4, 5, 6, 7]);
    expect(live.offset('public:feed')).toBe(7);
  });

  it('reports a gap when history no longer covers what was missed, and keeps the channel token', async () => {
    const { conn, live } = setup();
    const gaps: string[] = [];
    live.on('gap', ({ channel }) => gaps.push(channel));
    conn.answers.set('private:room', () => ({ channel: 'private:room', offset: 10, publications: [], recovered: true }));
    await live.subscribe('private:room', { token: 'channel-token' });
    conn.answers.set('private:room', (payload) => {
      expect(payload).toEqual({ channel: 'private:room', since: 10, token: 'channel-token' });
      return { channel: 'private:room', offset: 500, publications: [pub('private:room', 401)], recovered: false };
    });
    await live.resume();
    expect(gaps).toEqual(['private:room']);
  });

  it('drops a channel it may no longer read (refused on resume, or unsubscribed by the server)', async () => {
    const { conn, live } = setup();
    const failed: string[] = [];
    live.on('resubscribeFailed', ({ channel, error }) => failed.push(`${channel} ${error.code}`));
    conn.answers.set('admin:ops', () => ({ channel: 'admin:ops', offset: 0, publications: [], recovered: true }));
    conn.answers.set('public:a', () => ({ channel: 'public:a', offset: 0, publications: [], recovered: true }));
    await live.subscribe('admin:ops');
    await live.subscribe('public:a');
    conn.answers.delete('admin:ops');
    await live.resume();
    expect(failed).toEqual(['admin:ops FORBIDDEN']);
    expect(live.offset('admin:ops')).toBeUndefined();
    conn.push('channel:unsubscribed', { channel: 'public:a', reason: 'forbidden' });
    expect(live.offset('public:a')).toBeUndefined();
    conn.calls = [];
    await live.resume();
    expect(conn.calls).toEqual([]);
  });
});
