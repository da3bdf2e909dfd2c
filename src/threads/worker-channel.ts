import { Worker } from 'node:worker_threads';

/** What a worker thread answers (see serve-requests.js). */
interface WorkerReply {
  id: number;
  result?: unknown;
  error?: WorkerFailure;
}

/** A failure inside the worker, as it crosses the thread boundary. */
export interface WorkerFailure {
  code?: string;
  message: string;
}

interface InFlight {
  worker: Worker;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
  /** What the caller needs to rebuild a failure (never sent to the worker). */
  context: string;
}

const CLOSE_TIMEOUT_MS = 5000;

/**
 * Calls into a worker thread: one message each way per call, matched by id. The thread starts
 * on first use and again after it dies (calls in flight then fail: whatever they did is
 * unknown to the caller). It never keeps the process alive by itself.
 */
export class WorkerChannel<Request, Result> {
  private worker: Worker | null = null;
  private readonly inFlight = new Map<number, InFlight>();
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly script: string,
    private readonly workerData: unknown,
    /** Turns a failure reported by the worker into the error the caller expects. */
    private readonly toError: (failure: WorkerFailure, context: string) => Error = (failure) =>
      Object.assign(new Error(failure.message), { code: failure.code }),
  ) {}

  /** Calls not answered yet. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Starts the thread now rather than on the first call. */
  start(): void {
    if (!this.worker) this.spawn();
  }

  call(request: Request, context = ''): Promise<Result> {
    if (this.closed) return Promise.reject(new Error(`worker thread ${this.script} is closed`));
    const worker = this.worker ?? this.spawn();
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.inFlight.set(id, { worker, resolve: resolve as (result: unknown) => void, reject, context });
      try {
        worker.postMessage({ id, request });
      } catch (error) {
        this.inFlight.delete(id);
        reject(error);
      }
    });
  }

  /** Lets the worker finish what it holds and close its resources, then ends it; later calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ close: true });
    const timer = setTimeout(() => void worker.terminate(), CLOSE_TIMEOUT_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private spawn(): Worker {
    const worker = new Worker(this.script, { workerData: this.workerData });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => this.settle(reply));
    worker.on('error', (error) => this.lose(worker, error));
    // a reply that cannot be read leaves its call unanswerable: start over
    worker.on('messageerror', (error) => {
      this.lose(worker, error);
      void worker.terminate();
    });
    worker.on('exit', (code) => this.lose(worker, new Error(`worker thread ${this.script} exited (${code})`)));
    this.worker = worker;
    return worker;
  }

  private settle({ id, result, error }: WorkerReply): void {
    const call = this.inFlight.get(id);
    if (!call) return;
    this.inFlight.delete(id);
    if (error) call.reject(this.toError(error, call.context));
    else call.resolve(result);
  }

  private lose(worker: Worker, error: Error): void {
    if (this.worker === worker) this.worker = null;
    for (const [id, call] of this.inFlight) {
      if (call.worker !== worker) continue;
      this.inFlight.delete(id);
      call.reject(error);
    }
  }
}
