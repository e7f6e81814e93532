// Cloudflare workerd (io/choose.ts): outbound TCP and TLS through connect() of cloudflare:sockets.

import type { HostDriverFactory } from "./choose.js";
import { WorkerdDriver } from "./workerd.js";

export const workerdHostDriver: HostDriverFactory = (host) => (host === "workerd" ? new WorkerdDriver() : null);
