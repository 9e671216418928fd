import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: more workers only queue on the same databases.
    maxWorkers: 2,
    // The JSON report lets .ci/run print a plain summary line.
    reporters: ['default', 'json'],
    outputFile: { json: '.test-output/vitest.json' },
  },
});
