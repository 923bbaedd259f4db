// Bundles the server and the workspace packages it uses into dist/ (one ESM file per entry).
// Installed dependencies stay external: they are loaded from node_modules at run time.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const workspaces = ['apps/server', 'packages/api', 'packages/db', 'packages/shared'];
const external = new Set();
for (const workspace of workspaces) {
  const manifest = JSON.parse(readFileSync(path.join(root, workspace, 'package.json'), 'utf8'));
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    if (!name.startsWith('@scheduler/')) external.add(name);
  }
}

await build({
  entryPoints: { main: 'src/main.ts', migrate: 'src/migrate.ts' },
  absWorkingDir: path.join(root, 'apps/server'),
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external: [...external].flatMap((name) => [name, `${name}/*`]),
  logLevel: 'warning',
});
