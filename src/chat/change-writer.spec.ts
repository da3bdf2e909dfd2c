import { AppError } from '../common/errors';
import { RowSql } from '../database/row-sql';
import { Statement, StatementWriter } from '../database/statement-writer';
import { ChangeWriter, StoredMessage } from './change-writer';
import { MessageEntity } from './message.entity';

/** Rows in memory; UPDATE … WHERE id = ? AND version = ? as the database does it (compare-and-swap). */
class MemoryStore extends StatementWriter {
  rows = new Map<string, StoredMessage>();
  transactions = 0;
  /** Runs before the next transaction (another node writing in between). */
  interfere: (() => void) | null = null;

  async run(): Promise<number> {
    throw new Error('not used');
  }

  async runAll(statements: Statement[]): Promise<number[]> {
    this.interfere?.();
    this.interfere = null;
    this.transactions++;
    return statements.map(({ params }) => {
      const [body, editedAt, deletedAt, reactions, changedAt, version, id, expected] = params as [
        string,
        Date | null,
        Date | null,
        string | null,
        Date,
        number,
        string,
        number,
      ];
      const row = this.rows.get(id);
      if (!row || row.version !== expected) return 0;
      this.rows.set(id, { ...row, body, editedAt, deletedAt, reactions, changedAt, version });
      return 1;
    });
  }
}

const sql = {
  update: () => 'UPDATE',
  valuesOf: (row: MessageEntity, properties: readonly (keyof MessageEntity)[]) => properties.map((p) => row[p]),
} as unknown as RowSql<MessageEntity>;

const message = (id: string): StoredMessage => ({
  id,
  room: 'r',
  senderId: 's',
  senderName: 'S',
  body: 'hello',
  clientMsgId: null,
  createdAt: new Date(0),
  editedAt: null,
  deletedAt: null,
  reactions: null,
  changedAt: null,
  version: 0,
});

describe('ChangeWriter', () => {
  let store: MemoryStore;
  let writer: ChangeWriter;
  beforeEach(() => {
    store = new MemoryStore();
    store.rows.set('a', message('a'));
    store.rows.set('b', message('b'));
    writer = new ChangeWriter(
      sql,
      store,
      async (ids) => new Map(ids.flatMap((id) => (store.rows.has(id) ? [[id, { ...store.rows.get(id)! }]] : []))),
    );
  });

  const append = (suffix: string) => ({
    apply: (current: StoredMessage) => ({ body: current.body + suffix, editedAt: null, deletedAt: null, reactions: null }),
  });

  it('commits the changes queued together in one transaction, in order, answering after the commit', async () => {
    const results = await Promise.all([
      writer.write({ id: 'a', ...append('1') }),
      writer.write({ id: 'a', ...append('2') }),
      writer.write({ id: 'b', ...append('!') }),
    ]);
    expect(store.transactions).toBe(1);
    expect(results.map((r) => r.message.body)).toEqual(['hello1', 'hello12', 'hello!']);
    expect(store.rows.get('a')).toMatchObject({ body: 'hello12', version: 2, changedAt: expect.any(Date) });
  });

  it('answers refusals, no-ops and unknown ids without writing them', async () => {
    const refused = writer
      .write({
        id: 'a',
        apply: () => {
          throw new AppError('FORBIDDEN', 'no');
        },
      })
      .catch((e: AppError) => e.code);
    const unchanged = writer.write({ id: 'b', apply: () => null });
    const unknown = writer.write({ id: 'zz', ...append('?') }).catch((e: AppError) => e.code);
    expect(await refused).toBe('FORBIDDEN');
    expect(await unchanged).toMatchObject({ changed: false, message: { body: 'hello' } });
    expect(await unknown).toBe('NOT_FOUND');
    expect(store.transactions).toBe(0);
  });

  it('applies again on the fresh row when another node changed the message meanwhile', async () => {
    store.interfere = () => store.rows.set('a', { ...store.rows.get('a')!, body: 'theirs', version: 5 });
    const result = await writer.write({ id: 'a', ...append(' + mine') });
    expect(result.message.body).toBe('theirs + mine');
    expect(store.rows.get('a')).toMatchObject({ body: 'theirs + mine', version: 6 });
    expect(store.transactions).toBe(2);
  });
});
