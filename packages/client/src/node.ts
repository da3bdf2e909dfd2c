import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { OutboxEntry, OutboxStore } from './outbox';

/**
 * A JSON file (Node): survives a restart of the process. Writes go to a temporary file that
 * then replaces the old one, so a crash leaves the previous or the next state, never half.
 * One process per file.
 */
export function fileOutbox(path: string): OutboxStore {
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const result = chain.then(work, work);
    chain = result.catch(() => undefined);
    return result;
  };
  const read = async (): Promise<OutboxEntry[]> => {
    try {
      return JSON.parse(await readFile(path, 'utf8')) as OutboxEntry[];
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  };
  const write = async (entries: OutboxEntry[]) => {
    await mkdir(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(entries));
    await rename(temp, path);
  };
  return {
    list: (userId) => serial(async () => (await read()).filter((e) => e.userId === userId).sort((a, b) => a.createdAt - b.createdAt)),
    put: (entry) => serial(async () => write([...(await read()).filter((e) => e.clientMsgId !== entry.clientMsgId), entry])),
    delete: (clientMsgId) => serial(async () => write((await read()).filter((e) => e.clientMsgId !== clientMsgId))),
  };
}
