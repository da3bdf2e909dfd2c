// What a login costs in bcrypt: one compare at the configured cost (hash time is the same).
import bcrypt from 'bcrypt';
import { summarize } from '../lib.mjs';

export async function run(costs = [10, 12]) {
  const results = {};
  for (const cost of costs) {
    const hash = await bcrypt.hash('correct horse battery', cost);
    const samples = [];
    for (let i = 0; i < (cost >= 12 ? 8 : 20); i++) {
      const start = performance.now();
      await bcrypt.compare('correct horse battery', hash);
      samples.push(performance.now() - start);
    }
    results[cost] = summarize(samples);
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [cost, s] of Object.entries(await run())) console.log(`bcrypt cost ${cost}: compare p50 ${s.p50.toFixed(1)} ms`);
}
