import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Env } from './app';

const ROOT = join(__dirname, '..', '..');

/** A port the OS had free a moment ago (kept for every restart of one server). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Parley as a real process (ts-node, from the sources) that can be stopped and started again
 * on the same port and database, as a deployment restarts it: clients keep their URL. Node
 * listens with SO_REUSEADDR, so the port is free again as soon as the old process has exited,
 * whatever connections of it linger in TIME_WAIT.
 */
export class RestartableServer {
  private child: ChildProcess | null = null;
  private exited: Promise<unknown> = Promise.resolve();
  private log = '';

  private constructor(
    private readonly env: Env,
    readonly port: number,
  ) {}

  static async start(env: Env): Promise<RestartableServer> {
    const server = new RestartableServer(env, await freePort());
    await server.start();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  output(): string {
    return this.log;
  }

  async start(): Promise<void> {
    if (this.child) throw new Error('already running');
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...this.env, PORT: String(this.port), TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', resolve));
    for (let i = 0; i < 200 && child.exitCode === null; i++) {
      if (
        await fetch(`${this.url}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    await this.stop('SIGKILL');
    throw new Error(`server did not start on port ${this.port}:\n${this.log}`);
  }

  /** SIGTERM drains (acknowledged messages are kept); SIGKILL is a crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await this.exited;
  }
}
