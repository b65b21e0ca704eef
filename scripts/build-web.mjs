// Builds the browser waiting page (docs/waiting-page.md) into dist/web/:
// apps/queue-gateway/web/src/main.ts bundled by esbuild into app.js (one
// minified IIFE, ES2020), plus index.html, line.html and app.css copied as
// they are. The gateway's WebController serves them from memory.
// Usage, from anywhere: node scripts/build-web.mjs
import { build } from 'esbuild';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'apps', 'queue-gateway', 'web');
const out = join(root, 'dist', 'web');

await mkdir(out, { recursive: true });
await build({
  entryPoints: [join(web, 'src', 'main.ts')],
  outfile: join(out, 'app.js'),
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  platform: 'browser',
  tsconfig: join(web, 'tsconfig.json'),
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
});
for (const name of ['index.html', 'line.html', 'app.css']) {
  await copyFile(join(web, name), join(out, name));
}
// The ALTCHA widget for lines that ask for a proof of work, loaded by the page only
// there: its CSP-friendly "external" build, its stylesheet and its PBKDF2 worker.
const altcha = join(root, 'node_modules', 'altcha', 'dist');
for (const [from, name] of [
  ['external/altcha.umd.min.cjs', 'altcha.js'],
  ['external/altcha.css', 'altcha.css'],
  ['workers/pbkdf2.js', 'altcha-pbkdf2.js'],
]) {
  await copyFile(join(altcha, from), join(out, name));
}

const sizes = await Promise.all(
  ['app.js', 'app.css', 'index.html', 'line.html'].map(
    async (name) => `${name} ${(await stat(join(out, name))).size} B`,
  ),
);
console.log(`[build-web] ${relative(root, out)}: ${sizes.join(', ')}`);
