// Bundle the console into dist/ (index.html, app.js, app.css): one ES module with the Firebase SDK inside,
// nothing fetched from a CDN at run time.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist, { recursive: true });
await build({
  entryPoints: [path.join(here, 'src/main.js')],
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  outfile: path.join(dist, 'app.js'),
  logLevel: 'warning',
});
fs.copyFileSync(path.join(here, 'src/style.css'), path.join(dist, 'app.css'));
fs.copyFileSync(path.join(here, 'index.html'), path.join(dist, 'index.html'));
console.log(`console built: ${dist}`);
