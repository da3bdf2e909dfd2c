import { readdirSync, readFileSync } from 'node:fs';
import { loadAppConfig } from '../config/app-config';
import { PasswordHasher } from './password-hasher';

/** Nice values of this process's threads (Linux: /proc/self/task/<tid>/stat, field 19). */
function threadNiceness(): number[] {
  return readdirSync('/proc/self/task').map((tid) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]));
}

describe('PasswordHasher', () => {
  let hasher: PasswordHasher;

  beforeAll(async () => {
    hasher = new PasswordHasher(loadAppConfig({ BCRYPT_COST: '4' }));
    await hasher.onModuleInit();
  });

  afterAll(() => hasher.onApplicationShutdown());

  it('hashes with bcrypt and verifies only the right password', async () => {
    const hash = await hasher.hash('correct horse battery');
    expect(hash).toMatch(/^\$2[aby]\$04\$/);
    expect(await hasher.verify('correct horse battery', hash)).toBe(true);
    expect(await hasher.verify('wrong horse battery', hash)).toBe(false);
  });

  it('answers "no" for a missing hash after doing the same work', async () => {
    expect(await hasher.verify('correct horse battery', null)).toBe(false);
  });

  (process.platform === 'linux' ? it : it.skip)('hashes on threads of lower priority than the event loop', () => {
    const niceness = threadNiceness();
    expect(niceness[0]).toBe(0); // the main thread's task id is the process id, listed first
    expect(niceness).toContain(10);
  });
});
