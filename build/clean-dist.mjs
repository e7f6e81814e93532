#!/usr/bin/env node
// Empties dist/ before a build, so nothing stale is packed: rollup names the shared chunk by
// content hash (wasyncio-<hash>.mjs), and moved sources would otherwise leave old .d.ts files.
// Usage: node build/clean-dist.mjs

import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

rmSync(join(dirname(fileURLToPath(import.meta.url)), "..", "dist"), { recursive: true, force: true });
