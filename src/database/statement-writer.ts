import { OnApplicationShutdown } from '@nestjs/common';
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DataSource, QueryFailedError } from 'typeorm';

/**
 * Runs single write statements, each atomic by itself (autocommit) and committed when its
 * promise resolves. The chat's group commit writes a whole batch as one multi-row INSERT
 * through this, instead of BEGIN / INSERT / COMMIT through TypeORM's query runner: one round
 * trip to MySQL instead of three, each of which waited for a turn of a busy event loop.
 */
export abstract class StatementWriter {
  abstract run(sql: string, params: unknown[]): Promise<void>;
}

/** Through TypeORM's own connection (MySQL's pool; SQLite in memory). */
export class DataSourceStatementWriter extends StatementWriter {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  async run(sql: string, params: unknown[]): Promise<void> {
    await this.dataSource.query(sql, params);
  }
}

interface WorkerReply {
  id: number;
  error?: { code: string; message: string };
}

interface InFlight {
  worker: Worker;
  sql: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const CLOSE_TIMEOUT_MS = 5000;

/**
 * A SQLite file written from a worker thread with its own connection. better-sqlite3 is
 * synchronous, so on the main connection every commit (and its fsync) stopped the event loop
 * — about a tenth of the server's time under chat load. WAL mode lets this connection write
 * while the main one reads; SQLite serialises the two writers (the busy timeout waits).
 * Errors come back as QueryFailedError with the driver's code, as from TypeORM.
 */
export class SqliteWriterThread extends StatementWriter implements OnApplicationShutdown {
  private worker: Worker | null = null;
  private readonly inFlight = new Map<number, InFlight>();
  private nextId = 0;

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
  ) {
    super();
  }

  run(sql: string, params: unknown[]): Promise<void> {
    const worker = this.worker ?? this.start();
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.inFlight.set(id, { worker, sql, resolve, reject });
      worker.postMessage({ id, sql, params });
    });
  }

  async onApplicationShutdown(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    const exited = once(worker, 'exit');
    worker.postMessage({ close: true });
    const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private start(): Worker {
    const worker = new Worker(join(__dirname, 'sqlite-writer.worker.js'), {
      workerData: { path: this.path, busyTimeoutMs: this.busyTimeoutMs },
    });
    // Pending writes are the writer's business (its deadline); the thread alone must not keep
    // the process alive.
    worker.unref();
    worker.on('message', (reply: WorkerReply) => this.settle(reply));
    worker.on('error', (error) => this.lose(worker, error));
    worker.on('exit', (code) => this.lose(worker, new Error(`the SQLite writer thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle({ id, error }: WorkerReply): void {
    const request = this.inFlight.get(id);
    if (!request) return;
    this.inFlight.delete(id);
    if (!error) return request.resolve();
    // parameters left out: they are message bodies, and errors get logged
    request.reject(new QueryFailedError(request.sql, [], Object.assign(new Error(error.message), { code: error.code })));
  }

  /** The thread died: what it had is unknown (the senders retry with their clientMsgIds). */
  private lose(worker: Worker, error: Error): void {
    if (this.worker === worker) this.worker = null;
    for (const [id, request] of this.inFlight) {
      if (request.worker !== worker) continue;
      this.inFlight.delete(id);
      request.reject(error);
    }
  }
}
