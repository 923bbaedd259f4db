import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const swaggerDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** Swagger UI's assets, served from the installed package so /docs works offline. */
const DOCS_ASSETS: Record<string, { file: string; type: string }> = {
  'swagger-ui.css': { file: path.join(swaggerDir, 'swagger-ui.css'), type: 'text/css; charset=utf-8' },
  'swagger-ui-bundle.js': { file: path.join(swaggerDir, 'swagger-ui-bundle.js'), type: 'text/javascript; charset=utf-8' },
};

/** Browsers ask every site for /favicon.ico; Swagger UI's icon answers it (a PNG, which browsers take under that name). */
const FAVICON = { file: path.join(swaggerDir, 'favicon-32x32.png'), type: 'image/png' };

export function readFavicon(): { body: Buffer; type: string } {
  return { body: readFileSync(FAVICON.file), type: FAVICON.type };
}

export function readDocsAsset(name: string): { body: Buffer; type: string } | undefined {
  const asset = DOCS_ASSETS[name];
  return asset ? { body: readFileSync(asset.file), type: asset.type } : undefined;
}

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Event Scheduler API</title>
  <link rel="icon" type="image/png" href="/favicon.ico">
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="docs"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#docs', persistAuthorization: true });
  </script>
</body>
</html>`;
