import { IDBFactory } from 'fake-indexeddb';
import { indexedDbOutbox, memoryOutbox, OutboxEntry, OutboxStore } from './outbox';

const entry = (clientMsgId: string, createdAt: number, userId = 'u1'): OutboxEntry => ({
  clientMsgId,
  userId,
  kind: 'room',
  to: 'general',
  body: `body ${clientMsgId}`,
  createdAt,
});

describe.each<[string, () => OutboxStore]>([
  ['memory', () => memoryOutbox()],
  ['IndexedDB', () => indexedDbOutbox({ factory: new IDBFactory() })],
])('%s outbox', (_name, make) => {
  it('lists a user’s entries oldest first, not another user’s', async () => {
    const store = make();
    await store.put(entry('c', 3));
    await store.put(entry('a', 1));
    await store.put(entry('x', 2, 'u2'));
    await store.put(entry('b', 2));
    expect((await store.list('u1')).map((e) => e.clientMsgId)).toEqual(['a', 'b', 'c']);
    expect((await store.list('u2')).map((e) => e.clientMsgId)).toEqual(['x']);
  });

  it('keeps one entry per clientMsgId and forgets deleted ones', async () => {
    const store = make();
    await store.put(entry('a', 1));
    await store.put({ ...entry('a', 1), body: 'edited' });
    expect(await store.list('u1')).toEqual([{ ...entry('a', 1), body: 'edited' }]);
    await store.delete('a');
    await store.delete('never-there');
    expect(await store.list('u1')).toEqual([]);
  });
});

describe('IndexedDB outbox', () => {
  it('is still there for a new page (a second store on the same database)', async () => {
    const factory = new IDBFactory();
    await indexedDbOutbox({ factory }).put(entry('typed-offline', 1));
    expect((await indexedDbOutbox({ factory }).list('u1')).map((e) => e.clientMsgId)).toEqual(['typed-offline']);
  });
});
