import type { AppConfig } from '../config/app-config';
import { ConnectionSlots } from './connection-slots';

describe('ConnectionSlots without Redis (finding 6)', () => {
  const slots = new ConnectionSlots({ wsMaxConnectionsPerUser: 2 } as AppConfig, null);

  it('holds the cap per user and namespace, atomically for concurrent reservations', async () => {
    const answers = await Promise.all(['s1', 's2', 's3', 's4'].map((id) => slots.reserve('/chat', 'u1', id)));
    expect(answers.filter(Boolean)).toHaveLength(2);
    expect(await slots.reserve('/dashboard', 'u1', 'd1')).toBe(true);
    expect(await slots.reserve('/chat', 'u2', 'x1')).toBe(true);
  });

  it('gives a slot back once, whatever calls release', async () => {
    const user = 'u3';
    expect(await slots.reserve('/chat', user, 'a')).toBe(true);
    expect(await slots.reserve('/chat', user, 'b')).toBe(true);
    expect(await slots.reserve('/chat', user, 'c')).toBe(false);
    slots.release('/chat', user, 'a');
    slots.release('/chat', user, 'a');
    expect(await slots.reserve('/chat', user, 'c')).toBe(true);
    expect(await slots.reserve('/chat', user, 'd')).toBe(false);
  });
});
