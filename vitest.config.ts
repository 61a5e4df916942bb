import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql@16 ships CommonJS (main) and ESM (module). Node loads the CommonJS one for every
    // package; Vite would hand our own files the ESM one, and graphql refuses to mix the two
    // ("Cannot use GraphQLScalarType from another module or realm"). Pin the one Node uses.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', './test/summaryReporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start servers on port 0 and their own Redis where needed. Files run one
    // after another: several measure timing-sensitive behaviour (three replicas racing for a
    // 2 s window, batch windows) that a machine of 2 cores running other test files at the same
    // time would distort.
    pool: 'forks',
    fileParallelism: false,
  },
});
