/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// Tauri loads the built files from ui/dist (frontendDist) and, in development, from the dev
// server on port 1420 (devUrl). Relative base so the bundle works from any origin.
export default defineConfig({
  base: './',
  plugins: [
    svelte(),
    // Under Vitest only: resolve Svelte's browser build (`resolve.conditions: ['browser']`)
    // and clean up rendered components after each test.
    svelteTesting(),
  ],
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
    // The slowest test takes about 2 s on a machine loaded ten times over its cores; the default 5 s
    // would turn load into failures. A hang still fails.
    testTimeout: 20_000,
  },
});
