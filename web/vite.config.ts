import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

// No @vitejs/plugin-react: esbuild's automatic JSX runtime is enough (no fast refresh).
export default defineConfig({
  root,
  base: './',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // `npm run dev:web` serves the API on 4281; vite dev proxies to it.
    proxy: {
      '/api': 'http://127.0.0.1:4281',
      '/ws': { target: 'ws://127.0.0.1:4281', ws: true },
    },
  },
});
