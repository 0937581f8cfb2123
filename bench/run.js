// `npm run bench`: runs every bench/*.bench.js in turn and collects their tables in bench/out/RESULTS.md.
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUT, ROOT } from './lib.js';

const only = process.argv.slice(2);
const files = readdirSync(join(ROOT, 'bench'))
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
const sections = [];
for (const f of files) {
  process.stderr.write(`\n== ${f}\n`);
  const r = spawnSync(process.execPath, [join(ROOT, 'bench', f)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 26,
  });
  const out = r.stdout.toString();
  process.stdout.write(out);
  sections.push(`## ${f}\n\n${out}${r.status === 0 ? '' : `\n(exited ${r.status})\n`}`);
}
writeFileSync(join(OUT, 'RESULTS.md'), `# pyro benchmarks (${new Date().toISOString()})\n\n${sections.join('\n')}`);
process.stderr.write(`\nwritten: ${join(OUT, 'RESULTS.md')}\n`);
