import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

/** The API that `npm run dev` proxies to: the dev server `npm run dev` starts beside Vite (same PORT). */
const api = process.env['API_URL'] ?? `http://127.0.0.1:${process.env['PORT'] ?? 3000}`;

export default defineConfig({
  // Served by the API server at /app/ (packages/api/src/http/web-app.ts).
  base: '/app/',
  plugins: [react()],
  // Workspace packages are read from their TypeScript sources (the client's published build is for other projects).
  resolve: { conditions: ['@scheduler/source', ...defaultClientConditions] },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: {
    port: 5173,
    proxy: {
      '/api': api,
      '/trpc': { target: api, ws: true },
      '/collab': { target: api, ws: true },
    },
  },
});
