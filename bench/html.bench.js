// The one-file HTML flamegraph (src/core/render/html.ts + the viewer, src/viewer/):
// writing it for the 1,000,000-sample pprof over 200,000 distinct stacks
// (in-process: renderHtml + write), then, in headless Chromium, by the
// browser's own clock (from navigation start): the preview drawn (the viewer's
// marks 'pyro-first-frame' and 'pyro-first-paint'), a search answered (typed
// at the first chance the page gives, on the preview while the payload is
// parsed), and the full profile decoded and shown ('pyro-full').
// Targets: written in < 2 s; interactive in < 1 s.
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { readProfile } from '../dist/core/formats/index.js';
import { openSource } from '../dist/core/io/source.js';
import { renderHtml } from '../dist/core/render/html.js';
import { CORPUS, fmt, mb, OUT, RUNS, table } from './lib.js';

const BIG = join(OUT, 'cpu-1000000-200000.pb.gz');
const CHROMIUM = '/usr/bin/chromium';
const size = (bytes) => (bytes < 1e6 ? `${fmt(bytes / 1e3, 1)} kB` : `${fmt(mb(bytes), 1)} MB`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const inputs = [
  ['corpus folded/base/flames.txt', join(CORPUS, 'folded', 'base', 'flames.txt')],
  ['pprof, 1,000,000 samples, 200,000 distinct stacks', BIG],
];
const loadAtStart = loadavg()
  .map((x) => x.toFixed(2))
  .join(', ');
const rows = [];
const pages = [];
const breakdown = [];

for (const [label, file] of inputs) {
  if (!existsSync(file)) {
    console.log(`${file} missing (run bench/pprof.bench.js first): skipped.`);
    continue;
  }
  const profile = await readProfile(await openSource(file));
  const out = join(OUT, `${file.slice(file.lastIndexOf('/') + 1)}.html`);
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    writeFileSync(out, renderHtml(profile, { valueIndex: profile.defaultValue, title: label }));
    times.push((performance.now() - t0) / 1000);
  }
  rows.push([
    `write the HTML (renderHtml + write): ${label}`,
    `${profile.trie().size.toLocaleString('en-US')} trie nodes`,
    `${fmt(median(times))} s, ${size(statSync(out).size)} file`,
    '< 2 s',
  ]);
  // A search for a name the page certainly holds: the hottest leaf's function.
  const trie = profile.trie();
  const v = profile.defaultValue;
  let hot = 1;
  for (let n = 1; n < trie.size; n++) if (trie.selfOf(n, v) > trie.selfOf(hot, v)) hot = n;
  pages.push({ label, out, pattern: profile.frames.nameOf(trie.frame[hot]).replace(/[.*+?^${}()|[\]\\]/g, '\\$&') });
}

if (existsSync(CHROMIUM)) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  for (const { label, out, pattern } of pages) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // A search typed as soon as the viewer is there: run in the first task the page's event loop
      // gives after the viewer starts (the payload is still being parsed then), as a keystroke would be.
      await page.addInitScript((p) => {
        let api;
        Object.defineProperty(window, 'pyroViewer', {
          configurable: true,
          get: () => api,
          set(v) {
            api = v;
            setTimeout(() => {
              const loaded = v.loaded;
              v.search(p);
              window.pyroBench = { loaded, at: performance.now(), text: v.state().search.text };
            });
          },
        });
      }, pattern);
      await page.goto(pathToFileURL(out).href, { waitUntil: 'commit' });
      await page.waitForFunction(
        () => window.pyroViewer?.loaded === 'full' || document.getElementById('pyro-error') !== null,
        null,
        { timeout: 60_000, polling: 50 },
      );
      if (errors.length > 0 || (await page.evaluate(() => window.pyroViewer?.loaded)) !== 'full')
        throw new Error(`${out}: ${errors[0] ?? 'the viewer failed'}`);
      runs.push(
        await page.evaluate(() => {
          const search = performance.getEntriesByName('pyro-search')[0];
          const marks = Object.fromEntries(performance.getEntriesByType('mark').map((e) => [e.name, e.startTime]));
          // The search typed on the preview carries over: its exact figure.
          const exact = window.pyroViewer.state().search.text;
          return { ...window.pyroBench, exact, search: search.duration, marks };
        }),
      );
      await page.close();
    }
    const m = (f) => median(runs.map(f));
    const onPreview = runs.filter((r) => r.loaded === 'preview').length;
    const ms = (key, digits = 0) =>
      fmt(
        m((r) => r[key]),
        digits,
      );
    const mark = (name) =>
      fmt(
        m((r) => r.marks[name]),
        0,
      );
    const pageSize = `${size(statSync(out).size)} page`;
    rows.push(
      [
        `Chromium: preview drawn (first frame; its paint): ${label}`,
        pageSize,
        `${mark('pyro-first-frame')} ms; ${mark('pyro-first-paint')} ms`,
        '< 1000 ms',
      ],
      [
        `Chromium: a regex search answered (${onPreview}/${runs.length} runs on the preview): ${label}`,
        pageSize,
        `at ${ms('at')} ms (the search itself ${ms('search', 1)} ms; ${runs[0].text}, exact ${runs[0].exact.replace('Matched: ', '')})`,
        '< 1000 ms',
      ],
      [`Chromium: full profile decoded and shown: ${label}`, pageSize, `${mark('pyro-full')} ms`, ''],
    );
    // Where the time goes (medians of the viewer's marks, each from the previous one).
    const first = runs[0].marks;
    const names = Object.keys(first).sort((a, b) => first[a] - first[b]);
    const parts = names.map((n, i) => {
      const d = m((r) => r.marks[n] - (i > 0 ? r.marks[names[i - 1]] : 0));
      return `${i > 0 ? n.replace('pyro-', '') : 'page load to viewer start'} ${fmt(d, 0)}`;
    });
    breakdown.push(`${label}: ${parts.join(', ')} (ms)`);
  }
  await browser.close();
} else console.log(`${CHROMIUM} missing: the browser measures are skipped.`);

console.log(table(['case', 'input', 'pyro median', 'target'], rows));
if (breakdown.length > 0) console.log(`\nStart-up phases in Chromium:\n${breakdown.map((b) => `- ${b}`).join('\n')}`);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
console.log(
  `\nLoad average (1, 5, 15 min; 2 cores): ${loadAtStart} at the start, ${load()} at the end.\n` +
    `Command: \`node bench/html.bench.js\` (${RUNS} runs each, medians; writing in-process through dist/core/render/html.js; ` +
    `the browser figures from the page's own performance marks in headless ${CHROMIUM}).\n`,
);
