// Builds the client for use outside this repository (`npm pack`, then `npm install <tarball>`):
//   dist/index.js    the client as one ES module; @trpc/* stay imports (they are its dependencies)
//   dist/index.d.ts  its types, with the server's router type (AppRouter) and the shared schemas'
//                    types carried along as declarations, so nothing private is needed to install it.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
const require = createRequire(import.meta.url);
rmSync(dist, { recursive: true, force: true });

const manifest = JSON.parse(readFileSync(path.join(here, 'package.json'), 'utf8'));
await build({
  entryPoints: [path.join(here, 'src/index.ts')],
  outfile: path.join(dist, 'index.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  external: Object.keys(manifest.dependencies ?? {}).flatMap((name) => [name, `${name}/*`]),
  logLevel: 'warning',
});

// Declarations of the client and of the workspace packages its types reach (api, shared, db).
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(here, 'tsconfig.build.json')], { stdio: 'inherit' });

// Inside dist the workspace packages are folders: point their bare names and `.ts` specifiers at the declarations.
const typesRoot = path.join(dist, 'types');
const workspaceEntry = (name) => path.join(typesRoot, 'packages', name, 'src/index.js');
for (const file of readdirSync(typesRoot, { recursive: true })) {
  if (!file.endsWith('.d.ts')) continue;
  const full = path.join(typesRoot, file);
  const text = readFileSync(full, 'utf8')
    .replace(/(['"])@scheduler\/(api|shared|db)\1/g, (_, quote, name) => {
      const relative = path.relative(path.dirname(full), workspaceEntry(name)).split(path.sep).join('/');
      return `${quote}${relative.startsWith('.') ? relative : `./${relative}`}${quote}`;
    })
    .replace(/(['"])(\.{1,2}\/[^'"]*)\.ts\1/g, '$1$2.js$1');
  writeFileSync(full, text);
}
writeFileSync(path.join(dist, 'index.d.ts'), "export * from './types/packages/client/src/index.js';\n");
