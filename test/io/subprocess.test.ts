// Subprocesses: createSubprocessExec / createSubprocessShell and Process, and the protocol level
// (loop.subprocessExec). Cases named test_* mirror CPython's test_asyncio/test_subprocess.py
// (SubprocessMixin); the child programs are `node -e …` instead of `python -c …`.

import { afterEach, beforeAll, describe, expect, test } from "vitest";
import { pathToFileURL } from "node:url";
import {
  run,
  sleep,
  gather,
  getRunningLoop,
  createSubprocessExec,
  createSubprocessShell,
  PIPE,
  STDOUT,
  DEVNULL,
  Process,
  ProcessLookupError,
  FileNotFoundError,
  PermissionError,
  BrokenPipeError,
  ConnectionResetError,
  CancelledError,
  ValueError,
  NotImplementedError,
  TimersDriver,
  type SubprocessProtocol,
  type SubprocessTransport,
} from "../../src/index.ts";
import { expectThrows } from "../helpers.ts";
import { openResources, childPids, expectNoStrayChildren } from "./helpers.ts";

const NODE = process.execPath;
const node = (code: string) => [NODE, "-e", code] as const;
const PROGRAM_BLOCKED = node("setTimeout(() => {}, 3600e3)");
const PROGRAM_CAT = node("process.stdin.pipe(process.stdout)");
const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

let baseline: number[] = [];
beforeAll(() => {
  baseline = childPids();
});
afterEach(async () => {
  await expectNoStrayChildren(baseline);
});

/** Nothing may be left open at the end of main (run()'s own SIGINT handler aside). */
function* expectNothingOpen() {
  yield* sleep(0);
  expect(openResources(getRunningLoop())).toEqual([]);
}

describe("createSubprocessExec", () => {
  test("test_stdin_stdout", async () => {
    const [code, out] = await run(function* () {
      const proc = yield* createSubprocessExec(...PROGRAM_CAT, { stdin: PIPE, stdout: PIPE });
      proc.stdin!.write(enc("some data"));
      yield* proc.stdin!.drain();
      proc.stdin!.close();
      const data = yield* proc.stdout!.read();
      const exitcode = yield* proc.wait();
      yield* expectNothingOpen();
      return [exitcode, dec(data)];
    });
    expect(code).toBe(0);
    expect(out).toBe("some data");
  });

  test("test_communicate", async () => {
    const out = await run(function* () {
      const proc = yield* createSubprocessExec(...PROGRAM_CAT, { stdin: PIPE, stdout: PIPE });
      const [stdout, stderr] = yield* proc.communicate(enc("some data"));
      yield* expectNothingOpen();
      return { code: proc.returncode, stdout: dec(stdout), stderr };
    });
    expect(out).toEqual({ code: 0, stdout: "some data", stderr: null });
  });

  test("test_shell", async () => {
    const code = await run(function* () {
      const proc = yield* createSubprocessShell("exit 7");
      return yield* proc.wait();
    });
    expect(code).toBe(7);
  });

  test("test_kill: returncode is minus SIGKILL", async () => {
    const code = await run(function* () {
      const proc = yield* createSubprocessExec(...PROGRAM_BLOCKED);
      expect(proc.returncode).toBeNull();
      expect(proc.pid).toBeGreaterThan(0);
      proc.kill();
      const rc = yield* proc.wait();
      yield* expectNothingOpen();
      return rc;
    });
    expect(code).toBe(-9);
  });

  test("test_kill_issue43884: killing the shell of a pipeline", async () => {
    const code = await run(function* () {
      const proc = yield* createSubprocessShell("sleep 1; sleep 1", { stdout: PIPE });
      yield* sleep(0.2);
      proc.kill();
      return yield* proc.wait();
    });
    expect(code).toBe(-9);
  });

  test("test_terminate: returncode is minus SIGTERM", async () => {
    const code = await run(function* () {
      const proc = yield* createSubprocessExec(...PROGRAM_BLOCKED);
      proc.terminate();
      return yield* proc.wait();
    });
    expect(code).toBe(-15);
  });

  test("test_send_signal: SIGHUP, by name and by number", async () => {
    const codes = await run(function* () {
      const out: number[] = [];
      for (const sig of ["SIGHUP", 1] as const) {
        const proc = yield* createSubprocessExec(...node('console.log("sleeping"); setTimeout(() => {}, 3600e3)'), { stdout: PIPE });
        const line = yield* proc.stdout!.readline();
        expect(dec(line)).toBe("sleeping\n");
        proc.sendSignal(sig);
        out.push(yield* proc.wait());
      }
      return out;
    });
    expect(codes).toEqual([-1, -1]);
  });

  test("after the exit, sendSignal/terminate/kill raise ProcessLookupError", async () => {
    await run(function* () {
      const proc = yield* createSubprocessExec(...node(""));
      expect(yield* proc.wait()).toBe(0);
      expectThrows(() => proc.sendSignal("SIGTERM"), ProcessLookupError);
      expectThrows(() => proc.terminate(), ProcessLookupError);
      expectThrows(() => proc.kill(), ProcessLookupError);
      expectThrows(() => proc.sendSignal("SIGNOPE"), ValueError, /unknown signal/);
    });
  });

  test("test_stdin_broken_pipe: drain() raises when the child does not read", async () => {
    const large = new Uint8Array(4 * 1024 * 1024 + 1).fill(0x78);
    await run(function* () {
      const proc = yield* createSubprocessExec(...node(""), { stdin: PIPE });
      proc.stdin!.write(large);
      let caught: unknown = null;
      try {
        yield* proc.stdin!.drain();
        // the first drain may return before the host saw the pipe break: the next one raises
        yield* proc.wait();
        proc.stdin!.write(large);
        yield* proc.stdin!.drain();
      } catch (e) {
        caught = e;
      }
      expect(caught instanceof BrokenPipeError || caught instanceof ConnectionResetError, String(caught)).toBe(true);
      expect(yield* proc.wait()).toBe(0);
      yield* expectNothingOpen();
    });
  });

  test("test_communicate_ignore_broken_pipe", async () => {
    const large = new Uint8Array(4 * 1024 * 1024 + 1).fill(0x78);
    const code = await run(function* () {
      const proc = yield* createSubprocessExec(...node(""), { stdin: PIPE });
      const [out, err] = yield* proc.communicate(large);
      expect([out, err]).toEqual([null, null]);
      yield* expectNothingOpen();
      return proc.returncode;
    });
    expect(code).toBe(0);
  });

  test("test_pause_reading: a reader past its limit pauses the pipe, and resumes it", async () => {
    const limit = 10;
    const size = limit * 2 + 1;
    const { stdout, paused, resumed } = await run(function* () {
      const proc = yield* createSubprocessExec(...node(`process.stdout.write("x".repeat(${size}))`), {
        stdin: PIPE,
        stdout: PIPE,
        limit,
      });
      const transport = (proc as unknown as { _transport: SubprocessTransport })._transport.getPipeTransport(1)!;
      let paused = 0;
      let resumed = 0;
      const pause = transport.pauseReading.bind(transport);
      const resume = transport.resumeReading.bind(transport);
      transport.pauseReading = () => (paused++, pause());
      transport.resumeReading = () => (resumed++, resume());
      const [stdout] = yield* proc.communicate();
      return { stdout: dec(stdout), paused, resumed };
    });
    expect(stdout).toBe("x".repeat(size));
    expect(paused).toBeGreaterThan(0);
    expect(resumed).toBeGreaterThan(0);
  });

  const LEN_OF_STDIN = 'let n = 0; process.stdin.on("data", (d) => (n += d.length)); process.stdin.on("end", () => console.log(n));';

  test("test_stdin_not_inheritable / test_empty_input: stdin is closed after the input", async () => {
    const outs = await run(function* () {
      const res: [string | null, number | null][] = [];
      for (const input of [enc("abc"), new Uint8Array(0)]) {
        const proc = yield* createSubprocessExec(...node(LEN_OF_STDIN), { stdin: PIPE, stdout: PIPE, stderr: PIPE });
        const [stdout] = yield* proc.communicate(input);
        res.push([dec(stdout)!.trim(), proc.returncode]);
      }
      return res;
    });
    expect(outs).toEqual([["3", 0], ["0", 0]]);
  });

  test("test_devnull_input", async () => {
    const out = await run(function* () {
      const proc = yield* createSubprocessExec(...node(LEN_OF_STDIN), { stdin: DEVNULL, stdout: PIPE, stderr: PIPE });
      expect(proc.stdin).toBeNull();
      const [stdout] = yield* proc.communicate();
      return [dec(stdout)!.trim(), yield* proc.wait()];
    });
    expect(out).toEqual(["0", 0]);
  });

  test("test_devnull_output / test_devnull_error: a stream that is not a pipe is null", async () => {
    const out = await run(function* () {
      const a = yield* createSubprocessExec(...node(LEN_OF_STDIN), { stdin: PIPE, stdout: DEVNULL, stderr: PIPE });
      const ra = yield* a.communicate(enc("abc"));
      const b = yield* createSubprocessExec(...node(LEN_OF_STDIN), { stdin: PIPE, stdout: PIPE, stderr: DEVNULL });
      const rb = yield* b.communicate(enc("abc"));
      return [ra[0], dec(ra[1]), dec(rb[0])!.trim(), rb[1], a.returncode, b.returncode];
    });
    expect(out).toEqual([null, "", "3", null, 0, 0]);
  });

  test("stderr=STDOUT: both streams arrive on stdout", async () => {
    const out = await run(function* () {
      const proc = yield* createSubprocessExec(...node('process.stdout.write("out;"); process.stderr.write("err;")'), { stdout: PIPE, stderr: STDOUT });
      expect(proc.stderr).toBeNull();
      const [stdout, stderr] = yield* proc.communicate();
      return { text: dec(stdout)!, stderr };
    });
    expect(out.text.split(";").sort()).toEqual(["", "err", "out"]);
    expect(out.stderr).toBeNull();
  });

  test("test_cancel_process_wait: a cancelled wait() leaves the process alone", async () => {
    await run(function* () {
      const loop = getRunningLoop();
      const proc = yield* createSubprocessExec(...PROGRAM_BLOCKED);
      const task = loop.createTask(proc.wait());
      loop.callSoon(() => task.cancel());
      try {
        yield* task;
      } catch (e) {
        expect(e).toBeInstanceOf(CancelledError);
      }
      expect(proc.returncode).toBeNull();
      proc.kill();
      expect(yield* proc.wait()).toBe(-9);
      yield* expectNothingOpen();
    });
  });

  test("test_cancel_make_subprocess_transport_exec: cancelling the creation kills the child", async () => {
    await run(function* () {
      const loop = getRunningLoop();
      const task = loop.createTask(createSubprocessExec(...PROGRAM_BLOCKED));
      loop.callSoon(() => task.cancel());
      let caught: unknown = null;
      try {
        yield* task;
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CancelledError);
      yield* expectNothingOpen();
    });
  });

  test("test_cancel_post_init: the same at the protocol level", async () => {
    await run(function* () {
      const loop = getRunningLoop();
      const task = loop.createTask(loop.subprocessExec(() => ({}), ...PROGRAM_BLOCKED));
      loop.callSoon(() => task.cancel());
      let caught: unknown = null;
      try {
        yield* task;
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(CancelledError);
      yield* expectNothingOpen();
    });
  });

  test("test_popen_error: a program that does not exist is FileNotFoundError at the yield*", async () => {
    await run(function* () {
      const coro = createSubprocessExec("/nonexistent/wasyncio-no-such-program", "x", { stdin: PIPE, stdout: PIPE });
      let caught: unknown = null;
      try {
        yield* coro;
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(FileNotFoundError);
      expect((caught as FileNotFoundError).code).toBe("ENOENT");
      expect(String((caught as Error).message)).toContain("wasyncio-no-such-program");
      yield* expectNothingOpen();
    });
  });

  test("a working directory that does not exist, and a file that is not executable", async () => {
    await run(function* () {
      let caught: unknown = null;
      try {
        yield* createSubprocessExec(...node(""), { cwd: "/nonexistent/dir" });
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(FileNotFoundError);
      caught = null;
      try {
        yield* createSubprocessExec(new URL("./fixtures/work.mjs", import.meta.url));
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(PermissionError);
      yield* expectNothingOpen();
    });
  });

  test("test_read_stdout_after_process_exit", async () => {
    const total = await run(function* () {
      const proc = yield* createSubprocessExec(...node('for (let i = 0; i < 64; i++) process.stdout.write("x".repeat(4096)); process.exitCode = 1;'), { stdout: PIPE });
      let n = 0;
      for (;;) {
        const data = yield* proc.stdout!.read(65536);
        if (data.length === 0) break;
        n += data.length;
        yield* sleep(0.05);
      }
      expect(yield* proc.wait()).toBe(1);
      return n;
    });
    expect(total).toBe(64 * 4096);
  });

  test("a child that writes and exits at once loses nothing (pipes read from spawn on)", async () => {
    const n = await run(function* () {
      const proc = yield* createSubprocessExec(...node('process.stdout.write("y".repeat(200000))'), { stdout: PIPE });
      yield* sleep(0.3); // the child is long gone
      const data = yield* proc.stdout!.read();
      yield* proc.wait();
      return data.length;
    });
    expect(n).toBe(200000);
  });

  test("test_create_subprocess_exec_text_mode_fails / shell: ValueError at the call", () => {
    for (const opt of [{ text: true }, { encoding: "utf-8" }, { errors: "strict" }]) {
      expectThrows(() => createSubprocessExec(NODE, opt as never), ValueError, /not supported: the streams carry bytes/);
      expectThrows(() => createSubprocessShell("true", opt as never), ValueError, /not supported/);
    }
  });

  test("test_create_subprocess_exec_with_path: a file: URL as the program", async () => {
    const code = await run(function* () {
      const p = yield* createSubprocessExec(pathToFileURL(NODE), "-e", "");
      return yield* p.wait();
    });
    expect(code).toBe(0);
  });

  test("test_subprocess_communicate_stdout: ten at once", async () => {
    const outs = await run(function* () {
      function* get(i: number) {
        const proc = yield* createSubprocessExec(...node(`console.log("foo${i}")`), { stdout: PIPE });
        const [out] = yield* proc.communicate();
        return dec(out)!.trim();
      }
      return yield* gather(...Array.from({ length: 10 }, (_, i) => get(i)));
    });
    expect(outs).toEqual(Array.from({ length: 10 }, (_, i) => `foo${i}`));
  });

  test("large output through communicate, both streams, no deadlock (8 MB + 2 MB)", async () => {
    const sizes = await run(function* () {
      const code = 'process.stderr.write("e".repeat(2 << 20)); process.stdout.write("o".repeat(8 << 20));';
      const proc = yield* createSubprocessExec(...node(code), { stdout: PIPE, stderr: PIPE });
      const [out, err] = yield* proc.communicate();
      yield* expectNothingOpen();
      return [out!.length, err!.length, out!.every((b) => b === 0x6f), proc.returncode];
    });
    expect(sizes).toEqual([8 << 20, 2 << 20, true, 0]);
  });

  test("large input and output through cat at once (6 MB each way)", async () => {
    const input = new Uint8Array(6 << 20);
    for (let i = 0; i < input.length; i++) input[i] = i % 251;
    const ok = await run(function* () {
      const proc = yield* createSubprocessExec(...PROGRAM_CAT, { stdin: PIPE, stdout: PIPE });
      const [out] = yield* proc.communicate(input);
      return out!.length === input.length && out!.every((b, i) => b === input[i]);
    });
    expect(ok).toBe(true);
  });

  test("a child killed in the middle of communicate(): the output so far, and minus SIGKILL", async () => {
    const out = await run(function* () {
      const loop = getRunningLoop();
      const proc = yield* createSubprocessExec(...node('process.stdout.write("partial"); setTimeout(() => {}, 3600e3)'), { stdin: PIPE, stdout: PIPE });
      loop.callLater(0.3, () => proc.kill());
      const [stdout, stderr] = yield* proc.communicate(enc("ignored"));
      yield* expectNothingOpen();
      return { stdout: dec(stdout), stderr, code: proc.returncode };
    });
    expect(out).toEqual({ stdout: "partial", stderr: null, code: -9 });
  });

  test("env and cwd", async () => {
    const out = await run(function* () {
      const proc = yield* createSubprocessExec(...node("console.log(process.env.WASYNCIO_T + ' ' + process.cwd() + ' ' + Object.keys(process.env).includes('HOME'))"), {
        stdout: PIPE,
        env: { WASYNCIO_T: "yes", PATH: process.env.PATH ?? "" },
        cwd: "/tmp",
      });
      const [stdout] = yield* proc.communicate();
      return dec(stdout)!.trim();
    });
    expect(out).toBe("yes /tmp false");
  });

  test("bad arguments are refused at the call, naming what was wrong", async () => {
    expectThrows(() => createSubprocessExec(42 as never), TypeError, /program must be a string, got 42/);
    expectThrows(() => createSubprocessExec(NODE, 1 as never), TypeError, /args\[0\] must be a string, got 1/);
    expectThrows(() => createSubprocessExec(""), ValueError, /program must not be empty/);
    expectThrows(() => createSubprocessExec(NODE, "a\0b"), ValueError, /embedded null byte/);
    expectThrows(() => createSubprocessExec(NODE, { stdin: STDOUT }), ValueError, /stdin=STDOUT is only possible for stderr/);
    expectThrows(() => createSubprocessExec(NODE, { stdout: 5 as never }), ValueError, /stdout must be PIPE, DEVNULL or null \(inherit\), got 5/);
    expectThrows(() => createSubprocessExec(NODE, { stdout: PIPE, bogus: 1 } as never), TypeError, /unknown option "bogus"/);
    expectThrows(() => createSubprocessExec(NODE, { env: { A: 1 } } as never), TypeError, /env\["A"\] must be a string/);
    expectThrows(() => createSubprocessExec(NODE, { limit: 0 }), ValueError, /limit must be greater than 0/);
    expectThrows(() => createSubprocessShell(["ls"] as never), ValueError, /cmd must be a string/);
    expectThrows(() => createSubprocessShell("true", 3 as never), TypeError, /options must be a plain object/);
    await run(function* () {
      const proc = yield* createSubprocessExec(...node(""), { stdout: PIPE });
      expectThrows(() => proc.communicate("text" as never), TypeError, /input must be bytes .*encode text first/);
      expectThrows(() => proc.communicate(enc("x")), ValueError, /stdin is not PIPE/);
      yield* proc.communicate();
      yield* expectNothingOpen();
    });
  });

  test("a host without subprocesses: NotImplementedError at the call, naming the host", async () => {
    await run(
      function* () {
        expectThrows(() => createSubprocessExec(NODE), NotImplementedError, /subprocesses are not available on browser/);
        expectThrows(() => getRunningLoop().subprocessShell(() => ({}), "true"), NotImplementedError, /not available on browser/);
        yield* sleep(0);
      },
      { driver: new TimersDriver("browser") } as never,
    );
  });

  test("run() kills a child still running when main ends", async () => {
    let proc: Process | null = null;
    await run(function* () {
      proc = yield* createSubprocessExec(...PROGRAM_BLOCKED, { stdout: PIPE });
    });
    // afterEach checks that no child is left
    expect(proc!.pid).toBeGreaterThan(0);
  });

  test("a running child is host I/O in flight: the virtual clock does not jump past it", async () => {
    const at = await run(
      function* () {
        const loop = getRunningLoop();
        const timer = loop.createTask(sleep(3600));
        const proc = yield* createSubprocessExec(...node("setTimeout(() => {}, 100)"), { stdout: PIPE });
        yield* proc.communicate();
        const t = loop.time();
        timer.cancel();
        return t;
      },
      { clock: "virtual" },
    );
    expect(at).toBe(0);
  });

  test("repr: <Process pid>", async () => {
    await run(function* () {
      const proc = yield* createSubprocessExec(...node(""));
      expect(String(proc)).toBe(`<Process ${proc.pid}>`);
      yield* proc.wait();
    });
  });
});

describe("loop.subprocessExec (the protocol level)", () => {
  test("test_proc_exited / test_close_kill_running: callbacks in order; close() kills a running child", async () => {
    const log = await run(function* () {
      const loop = getRunningLoop();
      const record: string[] = [];
      const done = loop.createFuture<null>();
      class Proto implements SubprocessProtocol {
        connectionMade(t: SubprocessTransport) {
          record.push(`made ${t.getPid() !== null}`);
        }
        pipeDataReceived(fd: number, data: Uint8Array) {
          record.push(`data ${fd} ${dec(data)}`);
        }
        pipeConnectionLost(fd: number, exc: Error | null) {
          record.push(`pipe lost ${fd} ${exc}`);
        }
        processExited() {
          record.push("exited");
        }
        connectionLost(exc: Error | null) {
          record.push(`lost ${exc}`);
          done.setResult(null);
        }
      }
      const [transport, proto] = yield* loop.subprocessExec(() => new Proto(), ...node('process.stdout.write("hi"); setTimeout(() => {}, 3600e3)'), { stdin: DEVNULL, stderr: DEVNULL });
      expect(proto).toBeInstanceOf(Proto);
      expect(transport.getPipeTransport(0)).toBeNull();
      expect(transport.getPipeTransport(1)).not.toBeNull();
      expect(transport.getExtraInfo("subprocess")).not.toBeNull();
      while (!record.includes("data 1 hi")) yield* sleep(0.01);
      expect(transport.getReturncode()).toBeNull();
      transport.close();
      yield* done;
      expect(transport.getReturncode()).toBe(-9);
      yield* expectNothingOpen();
      return record;
    });
    expect(log[0]).toBe("made true");
    expect(log).toContain("data 1 hi");
    expect(log).toContain("exited");
    expect(log).toContain("pipe lost 1 null");
    expect(log[log.length - 1]).toBe("lost null");
  });

  test("test_close_dont_kill_finished: close() after the exit sends no signal", async () => {
    await run(function* () {
      const loop = getRunningLoop();
      const [transport] = yield* loop.subprocessShell(() => ({}), "exit 3");
      yield* (transport as unknown as { _wait(): Generator<unknown, number> })._wait();
      expect(transport.getReturncode()).toBe(3);
      transport.close();
      expect(transport.isClosing()).toBe(true);
      expectThrows(() => transport.kill(), ProcessLookupError);
      yield* expectNothingOpen();
    });
  });

  test("the standard streams default to PIPE at this level", async () => {
    const out = await run(function* () {
      const loop = getRunningLoop();
      const chunks: string[] = [];
      const [transport] = yield* loop.subprocessExec(
        () => ({ pipeDataReceived: (fd: number, d: Uint8Array) => chunks.push(`${fd}:${dec(d)}`) }),
        ...node('process.stdin.on("data", (d) => process.stderr.write(d)); process.stdout.write("o")'),
      );
      expect([0, 1, 2].map((fd) => transport.getPipeTransport(fd) !== null)).toEqual([true, true, true]);
      transport.getPipeTransport(0)!.write(enc("e"));
      transport.getPipeTransport(0)!.close();
      const rc = yield* (transport as unknown as { _wait(): Generator<unknown, number> })._wait();
      yield* expectNothingOpen();
      return { rc, chunks: chunks.sort() };
    });
    expect(out).toEqual({ rc: 0, chunks: ["1:o", "2:e"] });
  });

  test("bad protocol factories are refused", async () => {
    await run(function* () {
      const loop = getRunningLoop();
      expectThrows(() => loop.subprocessExec(42 as never, NODE), TypeError, /protocolFactory must be a function/);
      let caught: unknown = null;
      try {
        yield* loop.subprocessExec(() => 5 as never, NODE, "-e", "");
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(TypeError);
      yield* expectNothingOpen();
    });
  });
});
