import { readdirSync, readFileSync } from 'node:fs';
import { loadAppConfig } from '../config/app-config';
import { PasswordHasher } from './password-hasher';

/** Nice values of this process's threads, or of one (Linux: /proc/self/task/<tid>/stat, field 19). */
function threadNiceness(only?: string): number[] {
  return (only ? [only] : readdirSync('/proc/self/task')).map((tid) =>
    Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]),
  );
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
    const ownNiceness = threadNiceness(String(process.pid))[0];
    // nice values stop at 19: under `nice -n 19` nothing can be lower
    expect(threadNiceness()).toContain(Math.min(19, ownNiceness + 10));
  });
});
