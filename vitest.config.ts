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
    // Integration tests start servers on port 0 and their own Redis where needed; files run in
    // parallel processes, tests within a file in order.
    pool: 'forks',
  },
});
