// Preloaded into benchmarked child processes (node --import): on exit, appends
// this process's peak RSS (bytes) to $BENCH_RSS_FILE.
import { appendFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    appendFileSync(file, `${process.pid} ${process.resourceUsage().maxRSS * 1024}\n`);
  });
}
