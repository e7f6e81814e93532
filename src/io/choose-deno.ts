// Deno (io/choose.ts): Deno's own driver (Deno.connect, Deno.Command, signals, Web Workers).

import type { HostDriverFactory } from "./choose.js";
import { DenoDriver, denoNamespace } from "./deno.js";

export const denoHostDriver: HostDriverFactory = (host) => (host === "deno" && denoNamespace() !== null ? new DenoDriver() : null);
