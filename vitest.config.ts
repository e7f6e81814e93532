import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Only the host suites: the as-pect specs under assembly/ are run by `npm run test:core`.
    include: ["test/**/*.test.ts"],
    environment: "node",
    testTimeout: 10_000,
  },
});
