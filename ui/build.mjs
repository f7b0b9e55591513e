// build.mjs: bundles the console into dist/ (or --out DIR): index.html
// plus content-hashed assets/app-HASH.js and .css, each with a .gz beside
// it.  --modules DIR names the node_modules to build from, so CMake can
// install the packages into its build tree instead of the source tree.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] ? path.resolve(process.argv[i + 1]) : dflt;
};
const out = arg('--out', path.join(here, 'dist'));
const modules = arg('--modules', path.join(here, 'node_modules'));
const esbuild = createRequire(path.join(modules, 'noop.js'))('esbuild');

rmSync(out, { recursive: true, force: true });
mkdirSync(path.join(out, 'assets'), { recursive: true });

const result = await esbuild.build({
  entryPoints: { app: path.join(here, 'src/main.js'), style: path.join(here, 'src/style.css') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: path.join(out, 'assets'),
  entryNames: '[name]-[hash]',
  nodePaths: [modules],
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((f) => path.basename(f));
const js = outputs.find((f) => f.endsWith('.js'));
const css = outputs.find((f) => f.endsWith('.css'));
const html = readFileSync(path.join(here, 'index.html'), 'utf8').replace('%JS%', js).replace('%CSS%', css);
writeFileSync(path.join(out, 'index.html'), html);

let total = 0;
let gz = 0;
for (const f of ['index.html', ...readdirSync(path.join(out, 'assets')).map((a) => `assets/${a}`)]) {
  const data = readFileSync(path.join(out, f));
  const z = zlib.gzipSync(data, { level: 9 });
  writeFileSync(path.join(out, `${f}.gz`), z);
  total += data.length;
  gz += z.length;
}
console.log(`ui: built ${out} (${total} bytes, ${gz} gzipped)`);
