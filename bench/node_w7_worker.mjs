// The worker of bench/node_w7.mjs: answers each number with that number + 1.
import { parentPort } from 'node:worker_threads';

parentPort.on('message', (x) => parentPort.postMessage(x + 1));
