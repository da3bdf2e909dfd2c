import { ChildProcess, spawn } from 'node:child_process';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { Env } from './app';
import { sleep } from './clients';

const ROOT = join(__dirname, '..', '..');
/** A port nothing listens on right now (the OS picks it), so processes of other runs never collide. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** Runs Parley from its sources as a separate process (ts-node, no build needed); does not wait. */
export async function spawnServerProcess(env: Env): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, url: `http://127.0.0.1:${port}`, output: () => output, exited };
}

/** Runs Parley from its sources as a separate process and waits until `/health` answers 200. */
export async function startServerProcess(env: Env): Promise<ServerProcess> {
  const server = await spawnServerProcess(env);
  for (let i = 0; i < 150 && server.child.exitCode === null; i++) {
    if (
      await fetch(`${server.url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return server;
    await sleep(200);
  }
  server.child.kill('SIGKILL');
  throw new Error(`server did not start:\n${server.output()}`);
}

/** SIGKILLs every given server that is still running and waits until each has exited. */
export async function killServers(...servers: Array<ServerProcess | undefined>): Promise<void> {
  for (const server of servers) {
    if (server && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }
}
