#!/usr/bin/env node
// Regenerates README.md's configuration table from libs/config/src/env.ts, so
// the documented variables, defaults and meanings cannot drift from the code.
// Usage: node scripts/config-table.js [--check]
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
const source = fs.readFileSync(path.join(root, 'libs/config/src/env.ts'), 'utf8');
const rows = [];
let doc = '';
let section = '';
for (const raw of source.split('\n')) {
  const line = raw.trim();
  const sec = line.match(/^\/\/ ---- (.+) ----$/);
  if (sec) { section = sec[1]; continue; }
  const d = line.match(/^\/\*\*\s*(.*?)\s*\*\/$/);
  if (d) { doc = d[1]; continue; }
  const field = line.match(/^([A-Z][A-Z0-9_]+)(?::\s*[^=;]+)?\s*=\s*(.+);$/);
  if (field) {
    let value = field[2].replace(/^'(.*)'$/, '$1');
    if (value.includes("' | '")) value = value.split(' ')[0];
    const secret = ['TICKET_SECRET', 'ADMIN_TOKEN', 'COUPON_SERVICE_TOKEN'].includes(field[1]);
    rows.push(`| \`${field[1]}\` | ${secret ? '(required, generated into .env)' : value === '' ? '(empty)' : `\`${value}\``} | ${section} | ${doc} |`);
    doc = '';
  } else if (line === '') {
    // A field's doc comment, decorators (one line or several) and the field itself
    // are one block: a blank line ends it, so a comment never reaches the next field.
    doc = '';
  }
}
const table = ['| variable | default | used by | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
const readmePath = path.join(root, 'README.md');
const readme = fs.readFileSync(readmePath, 'utf8');
const next = readme.replace(
  /<!-- config-table:start -->[\s\S]*<!-- config-table:end -->/,
  `<!-- config-table:start -->\n${table}\n<!-- config-table:end -->`,
);
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error('README.md configuration table is out of date: run node scripts/config-table.js');
    process.exit(1);
  }
} else {
  fs.writeFileSync(readmePath, next);
}
