/**
 * `npm run bench`: every benchmark in turn (synth, handlers, dev startup, load),
 * each in its own process. Each one prints its figures and checks its targets;
 * this prints which targets held and exits non-zero if any did not.
 */
import { spawnSync } from 'node:child_process';

const benches = ['bench:synth', 'bench:handlers', 'bench:dev', 'bench:load'];
const results = benches.map((name) => {
  console.log(`\n=== npm run ${name} ===`);
  const started = Date.now();
  const r = spawnSync('npm', ['run', '--silent', name], { stdio: 'inherit' });
  return { name, status: r.status ?? 1, seconds: (Date.now() - started) / 1000 };
});

console.log('\n=== summary ===');
for (const r of results) console.log(`${r.status === 0 ? 'met   ' : 'MISSED'}  ${r.name.padEnd(16)} ${r.seconds.toFixed(1)} s`);
process.exitCode = results.every((r) => r.status === 0) ? 0 : 1;
