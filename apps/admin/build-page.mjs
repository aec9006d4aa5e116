// Builds the admin web page into dist/public (served at / by the admin app): esbuild bundles web/src (the page, the
// shared admin client, uPlot and its CSS) into app.js and app.css; index.html is copied. No CDN, no inline script.
// Run by `npm run build` (and so by `npm start` and `npm test`) after `tsc -b` has type-checked web/src.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const packages = path.join(here, '..', '..', 'packages');

/**
 * Our packages are bundled from their TypeScript sources (ES modules, so unused parts such as core's code generator
 * and its node:crypto are shaken out; core is marked side-effect free), never from their CommonJS dist.
 */
const ourSources = {
  name: 'dropgate-sources',
  setup(b) {
    b.onResolve({ filter: /^@dropgate\/(core|admin-client)$/ }, (args) => ({ path: path.join(packages, args.path.slice('@dropgate/'.length), 'src', 'index.ts') }));
  },
};
const out = path.join(here, 'dist', 'public');
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { app: path.join(here, 'web', 'src', 'main.ts') },
  bundle: true,
  minify: true,
  sourcemap: 'linked',
  format: 'iife',
  target: ['chrome110', 'firefox110', 'safari16'],
  outdir: out,
  logLevel: 'warning',
  plugins: [ourSources],
  // Anything of Node's left after tree shaking would fail in the browser: refuse to build it (checked below).
  external: ['node:*'],
  metafile: true,
}).then(({ metafile }) => {
  const nodeImports = Object.values(metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
  if (nodeImports.length > 0) throw new Error(`the admin page bundle would import ${nodeImports.join(', ')}`);
});
await build({
  entryPoints: { app: path.join(here, 'web', 'src', 'styles.css') },
  bundle: true,
  minify: true,
  outdir: out,
  logLevel: 'warning',
});
copyFileSync(path.join(here, 'web', 'static', 'index.html'), path.join(out, 'index.html'));
process.stdout.write(`admin page built into ${path.relative(process.cwd(), out) || '.'}\n`);
