#!/usr/bin/env node
// Mutation scores per file from Stryker's incremental file (reports/stryker-incremental.json, committed), without
// rerunning Stryker. Score = (killed + timeout) / (killed + timeout + survived + no coverage), as Stryker counts it;
// compile and runtime errors are not counted, ignored mutants are the static ones (ignoreStatic).
//
//   node scripts/mutation-scores.js [path prefix ...] [--survivors] [--file reports/other.json]
//
//   node scripts/mutation-scores.js lambdas/core/policy/              # one folder: a row per file and the total
//   node scripts/mutation-scores.js lambdas/core/policy/ --survivors  # and every survivor with its source line
//
// A file marked "changed" differs from the code the results were computed on (`source` in the report): its figures
// are from that earlier version. Files under the prefixes that the report does not hold are listed as not scored.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const args = process.argv.slice(2);
const showSurvivors = args.includes('--survivors');
const fileFlag = args.indexOf('--file');
const reportPath = fileFlag >= 0 ? args[fileFlag + 1] : 'reports/stryker-incremental.json';
const prefixes = args.filter((a, i) => !a.startsWith('--') && (fileFlag < 0 || i !== fileFlag + 1));

const root = path.resolve(__dirname, '..');
const report = JSON.parse(fs.readFileSync(path.resolve(root, reportPath), 'utf8'));
const wanted = (file) => prefixes.length === 0 || prefixes.some((p) => file.startsWith(p));

const STATUSES = ['Killed', 'Timeout', 'Survived', 'NoCoverage', 'CompileError', 'RuntimeError', 'Ignored'];
const count = () => Object.fromEntries(STATUSES.map((s) => [s, 0]));
const score = (c) => {
  const valid = c.Killed + c.Timeout + c.Survived + c.NoCoverage;
  return valid === 0 ? '' : `${(Math.floor(((c.Killed + c.Timeout) / valid) * 1000 + 0.5) / 10).toFixed(1)} %`;
};

const rows = [];
const total = count();
const survivors = [];
for (const [file, result] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
  if (!wanted(file)) continue;
  const c = count();
  for (const m of result.mutants) {
    c[m.status] += 1;
    total[m.status] += 1;
    if (m.status === 'Survived' || m.status === 'NoCoverage') survivors.push({ file, source: result.source, m });
  }
  let current = null;
  try {
    current = fs.readFileSync(path.resolve(root, file), 'utf8');
  } catch {
    /* deleted since */
  }
  const state = current === null ? 'deleted' : current === result.source ? '' : 'changed';
  rows.push({ file, c, state });
}

const line = (name, c, state) =>
  [
    name.padEnd(52),
    `${c.Killed + c.Timeout} / ${c.Killed + c.Timeout + c.Survived + c.NoCoverage}`.padStart(11),
    score(c).padStart(8),
    String(c.Survived).padStart(5),
    String(c.NoCoverage).padStart(5),
    String(c.Timeout).padStart(5),
    String(c.CompileError + c.RuntimeError).padStart(6),
    String(c.Ignored).padStart(6),
    String(STATUSES.reduce((n, s) => n + c[s], 0)).padStart(6),
    state,
  ].join(' ');
console.log(
  `${'file'.padEnd(52)} ${'killed/all'.padStart(11)} ${'score'.padStart(8)} ${'surv'.padStart(5)} ${'nocov'.padStart(5)} ` +
    `${'t/o'.padStart(5)} ${'errors'.padStart(6)} ${'static'.padStart(6)} ${'total'.padStart(6)}`,
);
for (const r of rows) console.log(line(r.file, r.c, r.state));
console.log(line('total', total, ''));

// Files on disk under the prefixes that the report does not hold (added after the run, or outside "mutate").
for (const p of prefixes) {
  const dir = path.resolve(root, p);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) continue;
  const walk = (d) =>
    fs.readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  for (const f of walk(dir)) {
    const rel = path.relative(root, f).split(path.sep).join('/');
    if (rel.endsWith('.ts') && !rel.endsWith('.d.ts') && !(rel in report.files)) console.log(`not scored: ${rel}`);
  }
}

if (showSurvivors) {
  for (const { file, source, m } of survivors) {
    const lines = source.split('\n');
    const { start, end } = m.location;
    const original =
      start.line === end.line
        ? lines[start.line - 1].slice(start.column - 1, end.column - 1)
        : `${lines[start.line - 1].slice(start.column - 1)} …`;
    console.log(`\n${file}:${start.line}:${start.column} #${m.id} ${m.status} ${m.mutatorName}`);
    console.log(`  ${lines[start.line - 1].trim()}`);
    console.log(`  ${JSON.stringify(original)} -> ${JSON.stringify(m.replacement ?? '')}`);
  }
}
