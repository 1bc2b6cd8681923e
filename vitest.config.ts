import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources: no build step between editing and testing.
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));
const alias = Object.fromEntries(
  readdirSync(packagesDir).map((name) => [`@tsnet/${name}`, `${packagesDir}${name}/src/index.ts`]),
);

// `*.netns.test.ts` need root and make their own namespaces; everything else is `unit`.
const netnsGlob = ['packages/*/src/**/*.netns.test.ts', 'test/**/*.netns.test.ts', 'examples/**/*.netns.test.ts'];

export default defineConfig({
  resolve: { alias },
  test: {
    // One TMPDIR per run, removed at the end with a line naming what tests left in it.
    globalSetup: ['./scripts/vitest-tmpdir.mjs'],
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...netnsGlob, '**/node_modules/**'],
          testTimeout: 30_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'netns',
          include: netnsGlob,
          testTimeout: 120_000,
          hookTimeout: 120_000,
          pool: 'forks',
          // Kernel objects (bridges, rules) are per namespace, so files may run side by side,
          // but the machine has two cores; more workers only add contention.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
