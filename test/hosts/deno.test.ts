// wasyncio on Deno, through its own driver (src/io/deno.ts: Deno.connect/listen, connectTls/
// listenTls, Deno.Command, Deno.addSignalListener, Web Workers — not Deno's Node compatibility
// layer, which the fixtures poison first: deno-no-node.mjs). Each test runs a fixture program
// (test/hosts/fixtures/deno-*.mjs, importing the standalone ESM build dist/index.mjs) under
// node_modules/.bin/deno with exactly the permissions it needs, and asserts on the JSON lines it
// prints. `npm test` builds dist/ first.

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const FIXTURES = join(ROOT, "test", "hosts", "fixtures");
const DENO = join(ROOT, "node_modules", ".bin", "deno");
const DIST = join(ROOT, "dist", "index.mjs");

interface Ran {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Run `cmd args` in the fixtures folder; the child is killed (by PID) if it outlives the test. */
async function runProgram(cmd: string, args: string[], env: Record<string, string> = {}, timeoutMs = 40_000): Promise<Ran> {
  const childEnv: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", WASYNCIO_DEBUG: undefined, ...env };
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

/** Run a fixture under Deno; it must exit 0. Returns its `[name, value]` lines as an object. */
async function deno(fixture: string, flags: string[], args: string[] = [], env: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const ran = await runProgram(DENO, ["run", "--no-prompt", ...flags, fixture, ...args], env);
  const where = `deno run ${flags.join(" ")} ${fixture} exited with ${ran.code ?? ran.signal}\n--- stdout\n${ran.stdout}\n--- stderr\n${ran.stderr}`;
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
  if (!existsSync(DENO)) throw new Error(`${DENO} is missing: npm ci installs deno (the "deno" dev dependency)`);
  const version = await runProgram(DENO, ["--version"]);
  if (version.code !== 0) throw new Error(`deno cannot start here:\n${version.stderr}`);
});

// each test runs one or two programs, each killed after 40 s: the test itself waits longer than that
describe("Deno", { timeout: 90_000 }, () => {
  it("runs the loop and tasks as Node does (gather, sleep, timeouts, queues, locks, task groups, runSync)", async () => {
    const node = await runProgram(process.execPath, ["deno-basics.mjs"]);
    const onDeno = await runProgram(DENO, ["run", "--no-prompt", "deno-basics.mjs"]);
    expect(node.code, node.stderr).toBe(0);
    expect(onDeno.code, onDeno.stderr).toBe(0);
    const [nodeHost, ...nodeLines] = node.stdout.trim().split("\n");
    const [denoHost, ...denoLines] = onDeno.stdout.trim().split("\n");
    expect(nodeHost).toBe("host node");
    expect(denoHost).toBe("host deno");
    expect(nodeLines).toContain("virtual 3600");
    expect(denoLines).toEqual(nodeLines);
  });

  it("serves and connects over TCP and Unix sockets with Deno's sockets (checksums, back-pressure, pause)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wasyncio-deno-"));
    try {
      const sock = join(dir, "s.sock");
      const r = await deno("deno-streams.mjs", [
        `--allow-net=127.0.0.1,unix:${sock}`, `--allow-read=${dir},${FIXTURES}`, `--allow-write=${dir}`,
      ], [dir]);
      expect(r.driver).toEqual(["deno", true, true, true]);
      expect(r.listening).toEqual(["127.0.0.1", true]);
      expect(r.peername).toBe(true);
      expect(r["echo big"]).toEqual([3 * 1024 * 1024 + 17, true]);
      expect(r["echo concurrent"]).toBe(20);
      expect(r.reader).toEqual(["first line\n", "second", "|", "third;rest", true]);
      // nothing arrived while paused; everything (and EOF) after resumeReading
      expect(r.paused).toEqual([0, "while you were paused<eof>", null]);
      expect(r.refused).toEqual(["ConnectionRefusedError", true, "ECONNREFUSED"]);
      expect(r.localAddr).toEqual([true, expect.stringContaining("localAddr is not available on deno")]);
      expect(r.unix).toEqual([true, true]);
      expect(r["unix tls"]).toEqual([true, true, "localhost"]);
      expect(r["unix socket file removed"]).toBe(true);
      expect(r["node builtins asked"]).toEqual([]);
      expect(r.open).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("speaks TLS with Deno's TLS: certificates, verification errors, STARTTLS on both sides", async () => {
    const r = await deno("deno-tls.mjs", ["--allow-net=127.0.0.1,localhost", `--allow-read=${FIXTURES}`]);
    expect(r.driver).toEqual(["deno", true]);
    expect(r["tls echo"]).toEqual([[true, "localhost", true], [true, "localhost", true], [true, "localhost", true]]);
    expect(r.untrusted).toEqual(["SSLCertVerificationError", true, "CERTIFICATE_VERIFY_FAILED"]);
    expect(r["wrong name"]).toEqual(["SSLCertVerificationError", true, "ERR_TLS_CERT_ALTNAME_INVALID"]);
    expect(r["server hostname"]).toBe("ok");
    expect(r["checkHostname false"]).toBe("hi");
    expect(r["client certificates"]).toEqual([true, expect.stringContaining("is not available on deno")]);
    expect(r.starttls).toEqual(["220 ready", "220 go ahead", "localhost", "secure one", "secure 50008", "secure three"]);
    expect(r["node builtins asked"]).toEqual([]);
    expect(r.open).toEqual([]);
  });

  it("runs subprocesses, a signal handler and worker executors with Deno.Command, signal listeners and Web Workers", async () => {
    const r = await deno("deno-proc.mjs", ["--allow-run", `--allow-read=${FIXTURES}`]);
    expect(r.driver).toEqual(["deno", true, true, true]);
    expect(r.communicate).toEqual([1_000_000, true, "done\n", 3, true]);
    expect(r.merged).toEqual([["err", "out"], null, 0]);
    expect(r["env and cwd"]).toBe("this||/"); // env replaces the environment (no HOME), as in asyncio
    expect(r.devnull).toEqual([0, null]);
    expect(r.readline).toEqual([["line 1", "line 2", "line 3"], 0]);
    expect(r.terminate).toBe(-15);
    expect(r["kill after exit"]).toEqual(["ProcessLookupError", true]);
    expect(r["missing program"]).toEqual(["FileNotFoundError", true]);
    expect(r.signal).toEqual([["usr1"], true, false, true]);
    expect(r.toThread).toEqual([42, "worker", "late"]);
    expect(r.pool).toEqual([true, true, true, true]);
    expect(r["worker errors"]).toEqual([
      ["ParseFailure", "bad input"],
      ["TypeError", "module URL has no export named 'nothing'"],
      ["TypeError", "export 'notAFunction' of URL is not a function (it is number)"],
      // a Web Worker has no exit event: the driver's worker code reports Deno.exit and self.close
      ["Error", "the worker running exitWorker() exited unexpectedly (exit code 3)"],
      ["Error", "the worker running closeWorker() exited unexpectedly (exit code 0)"],
      ["Error", "the worker running crash() failed outside the call: thrown outside the call"],
      ["DataCloneError", "the result of unclonable() could not be sent back: not cloneable"],
      ["DataCloneError", "the arguments of add() could not be sent to a worker: not cloneable"],
    ]);
    expect(r["pool after failures"]).toEqual([2, 4, 6]);
    expect(r["node builtins asked"]).toEqual([]);
    expect(r.open).toEqual([]);
  });

  it("turns the first SIGINT into a cancelled main task and KeyboardInterrupt (asyncio.Runner)", async () => {
    const r = await deno("deno-sigint.mjs", ["--allow-run"]);
    expect(r.main).toEqual(["CancelledError", true]);
    expect(r.run).toEqual(["KeyboardInterrupt", true]);
  });

  it("turns a missing permission into PermissionError naming the flag, and keeps running", async () => {
    const r = await deno("deno-perms.mjs", []);
    expect(r.driver).toBe("deno");
    expect(r.connect).toEqual(["PermissionError", true, "EACCES", "--allow-net"]);
    expect(r.listen).toEqual(["PermissionError", true, "EACCES", "--allow-net"]);
    expect(r.unix).toEqual(["PermissionError", true, "EACCES", "--allow-read"]);
    expect(r.spawn).toEqual(["PermissionError", true, "EACCES", "--allow-run"]);
    expect(r.toThread).toEqual(["PermissionError", true, "EACCES", "--allow-read"]);
    expect(r["still running"]).toBe(true);
    expect(r.open).toEqual([]);
  });

  it("starts without --allow-env (WASYNCIO_DEBUG reads as unset) and reads it when allowed", async () => {
    const denied = await deno("deno-perms.mjs", [], [], { WASYNCIO_DEBUG: "1" });
    expect(denied.debug).toBe(false);
    const allowed = await deno("deno-perms.mjs", ["--allow-env=WASYNCIO_DEBUG"], [], { WASYNCIO_DEBUG: "1" });
    expect(allowed.debug).toBe(true);
  });

  it("has UDP with --unstable-net, and names the flag in the NotImplementedError without it", async () => {
    const without = await deno("deno-udp.mjs", ["--allow-net=127.0.0.1"]);
    expect(without["supports udp"]).toBe(false);
    expect(without.udp).toEqual([true, expect.stringContaining("--unstable-net")]);
    const withFlag = await deno("deno-udp.mjs", ["--unstable-net", "--allow-net=127.0.0.1"]);
    expect(withFlag["supports udp"]).toBe(true);
    expect(withFlag.udp).toEqual([[[[6], "127.0.0.1", true], [[5, 4], "127.0.0.1", true], [[3, 2, 1], "127.0.0.1", true]], true]);
    expect(withFlag.open).toEqual([]);
  });
});
