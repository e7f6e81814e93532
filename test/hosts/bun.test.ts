// wasyncio on Bun: Bun runs the Node driver (src/io/node*.ts over Bun's node:net, node:tls,
// node:dgram, node:child_process, node:worker_threads and process signals, reached through
// process.getBuiltinModule). Each test runs a fixture program (test/hosts/fixtures/bun-*.mjs, or
// a host-neutral deno-*.mjs) under node_modules/.bin/bun against the standalone ESM build
// dist/index.mjs, and asserts on the JSON lines it prints. `npm test` builds dist/ first.
//
// Every feature asserted here works on Bun 1.4.5 as it does on Node: nothing needed a change
// in the driver.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const FIXTURES = join(ROOT, "test", "hosts", "fixtures");
const BUN = join(ROOT, "node_modules", ".bin", "bun");
const DIST = join(ROOT, "dist", "index.mjs");

interface Ran {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Run `cmd args` in the fixtures folder; the child is killed (by PID) if it outlives the test. */
async function runProgram(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 40_000): Promise<Ran> {
  const childEnv: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", WASYNCIO_DEBUG: undefined, ...env };
  const child = spawn(cmd, args, { cwd: FIXTURES, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await new Promise<Ran>((resolve, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`${cmd} ${args.join(" ")} did not finish within ${timeoutMs} ms\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
      }, timeoutMs);
      child.on("error", (err) => reject(new Error(`could not start ${cmd}: ${err.message}`)));
      child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
  } finally {
    clearTimeout(timer);
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, "SIGKILL");
      } catch {
        // it exited meanwhile
      }
    }
  }
}

/** Run a fixture under Bun; it must exit 0. Returns its `[name, value]` lines as an object. */
async function bun(fixture: string, args: string[] = []): Promise<Record<string, unknown>> {
  const ran = await runProgram(BUN, [fixture, ...args]);
  const where = `bun ${fixture} exited with ${ran.code ?? ran.signal}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`;
  if (ran.code !== 0) throw new Error(where);
  const out: Record<string, unknown> = {};
  for (const line of ran.stdout.split("\n")) {
    if (line.trim() === "") continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`a line that is not a [name, value] result: ${line}\n${where}`);
    }
    const [name, value] = parsed as [string, unknown];
    out[name] = value;
  }
  expect(out.done, where).toBe(true);
  return out;
}

beforeAll(async () => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build the package first (npm run build)`);
  if (!existsSync(BUN)) throw new Error(`${BUN} is missing: npm ci installs bun (the "bun" dev dependency)`);
  const version = await runProgram(BUN, ["--version"]);
  if (version.code !== 0) throw new Error(`bun cannot start here:\n${version.stderr}`);
  // the Node driver needs process.getBuiltinModule: without it wasyncio on Bun has no I/O
  const probe = await runProgram(BUN, ["-e", "console.log(typeof process.getBuiltinModule)"]);
  if (probe.stdout.trim() !== "function") throw new Error(`bun has no process.getBuiltinModule (got ${probe.stdout.trim()}): the Node driver cannot load node:net there`);
});

// each test runs one or two programs, each killed after 40 s: the test itself waits longer than that
describe("Bun", { timeout: 90_000 }, () => {
  it("runs the loop and tasks as Node does (gather, sleep, timeouts, queues, locks, task groups, runSync)", async () => {
    const node = await runProgram(process.execPath, ["deno-basics.mjs"]);
    const onBun = await runProgram(BUN, ["deno-basics.mjs"]);
    expect(node.code, node.stderr).toBe(0);
    expect(onBun.code, onBun.stderr).toBe(0);
    const [nodeHost, ...nodeLines] = node.stdout.trim().split("\n");
    const [bunHost, ...bunLines] = onBun.stdout.trim().split("\n");
    expect(nodeHost).toBe("host node");
    expect(bunHost).toBe("host bun");
    expect(nodeLines).toContain("virtual 3600");
    expect(bunLines).toEqual(nodeLines);
  });

  it("serves and connects over TCP and Unix sockets (checksums, back-pressure, pause, localAddr)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasyncio-bun-"));
    try {
      const r = await bun("bun-streams.mjs", [dir]);
      expect(r.driver).toEqual(["bun", true, true, true]);
      expect(r.listening).toEqual(["127.0.0.1", true]);
      expect(r.peername).toBe(true);
      expect(r["echo big"]).toEqual([3 * 1024 * 1024 + 17, true]);
      expect(r["echo concurrent"]).toBe(20);
      expect(r.reader).toEqual(["first line\n", "second", "|", "third;rest", true]);
      expect(r.paused).toEqual([0, "while you were paused<eof>", null]);
      expect(r.refused).toEqual(["ConnectionRefusedError", true, "ECONNREFUSED"]);
      expect(r.localAddr).toBe("127.0.0.1");
      expect(r.unix).toEqual([true, true]);
      expect(r["unix tls"]).toEqual([true, true, "localhost"]);
      expect(r["unix socket file removed"]).toBe(true);
      expect(r.open).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("speaks TLS: the Node tests' certificates, verification errors, client certificates, STARTTLS", async () => {
    const r = await bun("bun-tls.mjs");
    expect(r.driver).toEqual(["bun", true]);
    expect(r["tls echo"]).toEqual([[true, "localhost", true], [true, "localhost", true], [true, "localhost", true]]);
    expect(r.untrusted).toEqual(["SSLCertVerificationError", true, "CERTIFICATE_VERIFY_FAILED"]);
    expect(r["wrong name"]).toEqual(["SSLCertVerificationError", true, "ERR_TLS_CERT_ALTNAME_INVALID"]);
    expect(r["server hostname"]).toBe("ok");
    expect(r["checkHostname false"]).toBe("hi");
    expect(r["client certificates"]).toEqual(["hello localhost", true]);
    expect(r.starttls).toEqual(["220 ready", "220 go ahead", "localhost", "secure one", "secure 50008", "secure three"]);
    expect(r.open).toEqual([]);
  });

  it("runs subprocesses, a SIGUSR1 handler and worker_threads executors", async () => {
    const r = await bun("bun-proc.mjs");
    expect(r.driver).toEqual(["bun", true, true, true]);
    expect(r.communicate).toEqual([1_000_000, true, "done\n", 3, true]);
    expect(r.merged).toEqual([["err", "out"], null, 0]);
    expect(r["env and cwd"]).toBe("this||/");
    expect(r.devnull).toEqual([0, null]);
    expect(r.readline).toEqual([["line 1", "line 2", "line 3"], 0]);
    expect(r.terminate).toBe(-15);
    expect(r["kill after exit"]).toEqual(["ProcessLookupError", true]);
    expect(r["missing program"]).toEqual(["FileNotFoundError", true]);
    expect(r.signal).toEqual([["usr1"], true, false, true]);
    expect(r.toThread).toEqual([42, true, "late"]);
    expect(r.pool).toEqual([2, true]); // four calls on at most two worker threads
    expect(r["worker errors"]).toEqual([
      ["ParseFailure", "bad input"],
      ["TypeError", "module URL has no export named 'nothing'"],
      ["TypeError", "export 'notAFunction' of URL is not a function (it is number)"],
      ["Error", "the worker running crash() exited unexpectedly (exit code N): thrown outside the call"],
    ]);
    expect(r.open).toEqual([]);
  });

  it("turns the first SIGINT into a cancelled main task and KeyboardInterrupt (asyncio.Runner)", async () => {
    const r = await bun("deno-sigint.mjs");
    expect(r.main).toEqual(["CancelledError", true]);
    expect(r.run).toEqual(["KeyboardInterrupt", true]);
  });

  it("has UDP (node:dgram)", async () => {
    const r = await bun("deno-udp.mjs");
    expect(r["supports udp"]).toBe(true);
    expect(r.udp).toEqual([[[[6], "127.0.0.1", true], [[5, 4], "127.0.0.1", true], [[3, 2, 1], "127.0.0.1", true]], true]);
    expect(r.open).toEqual([]);
  });
});
