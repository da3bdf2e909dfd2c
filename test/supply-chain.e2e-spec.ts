import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Finding 16: the offline supply-chain floors hold per major version in use. */
const ROOT = join(__dirname, '..');

function run(packages: Record<string, string>): { status: number | null; output: string } {
  const lock = { lockfileVersion: 3, packages: { '': {} } as Record<string, object> };
  for (const [name, version] of Object.entries(packages)) {
    lock.packages[`node_modules/${name}`] = {
      version,
      resolved: `https://registry.npmjs.org/${name}/-/${name}-${version}.tgz`,
      integrity: 'sha512-x',
    };
  }
  const file = join(mkdtempSync(join(tmpdir(), 'parley-lock-')), 'package-lock.json');
  writeFileSync(file, JSON.stringify(lock));
  const result = spawnSync(process.execPath, ['scripts/check-supply-chain.mjs', '--lock', file], { cwd: ROOT, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const GOOD = {
  'socket.io': '4.8.1',
  'engine.io': '6.6.4',
  'socket.io-parser': '4.2.7',
  ws: '8.21.1',
  jsonwebtoken: '9.0.2',
  jws: '4.0.1',
  express: '5.1.0',
  'body-parser': '2.2.1',
  qs: '6.14.1',
  multer: '2.0.2',
  nodemailer: '7.0.11',
};

describe('finding 16: offline supply-chain floors', () => {
  it('passes a lockfile at the floors, and the project’s own', () => {
    expect(run(GOOD)).toMatchObject({ status: 0 });
    expect(spawnSync(process.execPath, ['scripts/check-supply-chain.mjs'], { cwd: ROOT }).status).toBe(0);
  });

  it.each([
    ['express', '5.0.0', 'below 5.0.1'],
    ['body-parser', '2.0.0', 'below 2.2.1'],
    ['jws', '4.0.0', 'below 4.0.1'],
    ['jws', '3.2.2', 'below 3.2.3'],
    ['qs', '6.14.0', 'below 6.14.1'],
    ['multer', '2.0.1', 'below 2.0.2'],
    ['multer', '1.4.5', 'no fixed release on the 1.x line'],
    ['nodemailer', '7.0.10', 'below 7.0.11'],
    ['nodemailer', '6.10.1', 'no fixed release on the 6.x line'],
    ['express', '6.0.0', 'no floor for major 6'],
  ])('refuses %s@%s (%s)', (name, version, message) => {
    const result = run({ ...GOOD, [name]: version });
    expect(result.status).toBe(1);
    expect(result.output).toContain(`${name}@${version}`);
    expect(result.output).toContain(message);
  });
});
