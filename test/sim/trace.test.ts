// The trace format (README, "Record and replay"): a header line, iteration lines, an end line; values JSON
// cannot hold as tagged objects; Trace.parse refuses damaged, truncated and newer text with a
// ValueError naming the line.

import { describe, expect, it } from "vitest";
import { Recorder, Trace, ValueError, getRunningLoop, run, runSync, sleep, gather } from "../../src/index.ts";
import { decodeValue, encodeValue, fromBase64, toBase64 } from "../../src/sim/codec.ts";

/** A seeded program with timers, random draws and a random schedule: a small deterministic trace. */
function* timers() {
  const loop = getRunningLoop();
  const order: string[] = [];
  function* worker(name: string, n: number) {
    for (let i = 0; i < n; i++) {
      yield* sleep(loop.random());
      order.push(name);
    }
  }
  yield* gather(worker("a", 5), worker("b", 5), worker("c", 3));
  return order;
}

function recordTimers(): Trace {
  const rec = new Recorder();
  runSync(timers, { record: rec, seed: 11, schedule: "random" });
  return rec.trace();
}

const lines = (t: Trace) => t.toString().trimEnd().split("\n");

describe("the text", () => {
  it("is a header line, iteration lines and an end line, and parses back to the same text", () => {
    const trace = recordTimers();
    const text = trace.toString();
    expect(text.endsWith("\n")).toBe(true);
    const ls = lines(trace);
    const header = JSON.parse(ls[0]);
    expect(header).toMatchObject({ wasyncio: "trace", version: 1, host: "node", clock: "virtual", core: "wasm", seed: 11, schedule: "random", pctDepth: 3, debug: false, sync: true, scenario: null });
    expect(header.features).toContain("tcp");
    expect(JSON.parse(ls[ls.length - 1])).toEqual({ end: trace.iterations, lines: ls.length });
    for (const l of ls.slice(1, -1)) expect(typeof JSON.parse(l).i).toBe("number");
    expect(Trace.parse(text).toString()).toBe(text);
    expect(Trace.parse(text).iterations).toBe(trace.iterations);
  });

  it("keeps every iteration's checksum, quiet iterations packed (ks) and runs of equal ones counted (n)", () => {
    // a program whose iterations record nothing but their checksum: 2000 sleep(0)s, then a long idle wait on timers
    const rec = new Recorder();
    runSync(function* () {
      for (let i = 0; i < 2000; i++) yield* sleep(0);
    }, { record: rec });
    const trace = rec.trace();
    const body = lines(trace).slice(1, -1).map((l) => JSON.parse(l));
    // every line covers its iterations: ks (4 bytes a checksum), n (a run), or one iteration
    let covered = 0;
    for (const l of body) {
      expect(l.i).toBe(covered + 1);
      if (l.ks !== undefined) covered += fromBase64(l.ks)!.length / 4;
      else if (l.n !== undefined) covered += l.n;
      else covered = l.i;
    }
    expect(covered).toBe(trace.iterations);
    expect(body.some((l) => l.ks !== undefined)).toBe(true);
    // compact: a few bytes per iteration
    expect(trace.toString().length / trace.iterations).toBeLessThan(8);
  });

  it("writes a run of equal checksums as one line", () => {
    // the same empty iteration again and again: a loop idling through time with one far timer is not
    // possible on the virtual clock, so build the trace text by hand and check that parse accepts it
    const header = JSON.stringify({ wasyncio: "trace", version: 1, host: "node", features: [], clock: "virtual", core: "js", seed: 0, schedule: "fifo", pctDepth: 3, debug: false, sync: true, scenario: null });
    const text = [header, `{"i":1,"n":500,"k":7}`, `{"i":501,"k":9,"t":[1.5]}`, `{"end":501,"lines":4}`].join("\n") + "\n";
    const trace = Trace.parse(text);
    expect(trace.iterations).toBe(501);
    expect(trace._checksums[1]).toBe(7);
    expect(trace._checksums[500]).toBe(7);
    expect(trace._checksums[501]).toBe(9);
    expect(trace.toString()).toBe(text);
  });

  it("packs an iteration's many clock reads (tb: float64 LE) and reads back their exact values", async () => {
    const rec = new Recorder();
    await run(function* () {
      const loop = getRunningLoop();
      const done = loop.createFuture();
      let n = 0;
      for (let i = 0; i < 50; i++) loop.callLater(0.001 * (i % 5), () => void (++n === 50 && done.setResult(null)));
      yield* done;
    }, { record: rec });
    const trace = rec.trace();
    const text = trace.toString();
    expect(text).toMatch(/"tb":"[A-Za-z0-9+/]+=*"/);
    const reads = (t: Trace) => t._records.flatMap((r) => r.t ?? []);
    expect(reads(Trace.parse(text))).toEqual(reads(trace));
    expect(reads(trace).length).toBeGreaterThanOrEqual(50);
  });

  it("names the scenario given to the Recorder", () => {
    const rec = new Recorder({ scenario: { module: "prog.mjs", export: "main" } });
    runSync(function* () { yield* sleep(1); }, { record: rec });
    expect(rec.trace().header.scenario).toEqual({ module: "prog.mjs", export: "main" });
    const rec2 = new Recorder({ scenario: { module: "prog.mjs" } });
    runSync(function* () {}, { record: rec2 });
    expect(rec2.trace().header.scenario).toEqual({ module: "prog.mjs", export: "default" });
  });
});

describe("Trace.parse refuses bad text with a ValueError naming the line", () => {
  const good = () => recordTimers().toString();
  const parseError = (text: string): string => {
    try {
      Trace.parse(text);
    } catch (exc) {
      expect(exc).toBeInstanceOf(ValueError);
      return (exc as Error).message;
    }
    throw new Error("parse accepted it");
  };

  it("a truncated last line", () => {
    const text = good();
    const cut = text.slice(0, text.length - 7); // inside the end line, no newline
    expect(parseError(cut)).toMatch(new RegExp(`^Trace\\.parse: line ${text.trimEnd().split("\n").length}: the line is cut short .*truncated`));
  });

  it("a trace cut at a line boundary (no end line)", () => {
    const ls = good().trimEnd().split("\n");
    expect(parseError(ls.slice(0, -1).join("\n") + "\n")).toMatch(/ends at line \d+ without its end line .*truncated/);
  });

  it("a damaged line in the middle", () => {
    const ls = good().trimEnd().split("\n");
    ls[2] = ls[2].slice(0, 10) + "#" + ls[2].slice(11);
    expect(parseError(ls.join("\n") + "\n")).toMatch(/^Trace\.parse: line 3: not valid JSON/);
  });

  it("a newer version", () => {
    const ls = good().split("\n");
    ls[0] = ls[0].replace(`"version":1`, `"version":2`);
    expect(parseError(ls.join("\n"))).toBe("Trace.parse: line 1: trace version 2 is newer than this wasyncio reads (version 1): upgrade wasyncio to replay it");
  });

  it("an unknown version, a header that is not a trace's, empty text", () => {
    const ls = good().split("\n");
    expect(parseError([ls[0].replace(`"version":1`, `"version":"one"`), ...ls.slice(1)].join("\n"))).toMatch(/line 1: unknown trace version "one"/);
    expect(parseError([`{"hello":1}`, ...ls.slice(1)].join("\n"))).toMatch(/line 1: not a wasyncio trace header/);
    expect(parseError("not json at all\n")).toMatch(/line 1: not a wasyncio trace header/);
    expect(parseError("")).toMatch(/empty/);
    expect(() => Trace.parse(42 as never)).toThrow(TypeError);
  });

  it("a missing line, lines out of order, a bad field", () => {
    const header = JSON.stringify({ wasyncio: "trace", version: 1, host: "node", features: ["tcp"], clock: "virtual", core: "wasm", seed: 0, schedule: "fifo", pctDepth: 3, debug: false, sync: true, scenario: null });
    const ls = [header, `{"i":0,"r":[5]}`, `{"i":1,"k":1,"t":[0.5]}`, `{"i":2,"ks":"AgAAAAMAAAA="}`, `{"i":4,"k":4,"c":[{"op":"write","id":1,"bytes":{"$b":"aGk="}}]}`, `{"end":4,"lines":6}`];
    expect(Trace.parse(ls.join("\n")).iterations).toBe(4);
    const without = [...ls.slice(0, 2), ...ls.slice(3)];
    expect(parseError(without.join("\n") + "\n")).toMatch(/^Trace\.parse: line 3: .*(next iteration|follow each other)/);
    const badHeader = [ls[0].replace(`"clock":"virtual"`, `"clock":"sundial"`), ...ls.slice(1)];
    expect(parseError(badHeader.join("\n"))).toMatch(/line 1: header field "clock" must be 'real' or 'virtual', got "sundial"/);
    const badEvent = [ls[0], `{"i":0,"e":[{"kind":"data","id":1,"bytes":{"$b":"%%%%"}}]}`, ...ls.slice(1)];
    expect(parseError(badEvent.join("\n"))).toMatch(/line 2: "e": bad base64/);
    const extra = [...ls, `{"i":99,"k":1}`];
    expect(parseError(extra.join("\n"))).toMatch(/text after the end line/);
    const badEnd = [...ls.slice(0, -1), ls[ls.length - 1].replace(/"lines":\d+/, `"lines":3`)];
    expect(parseError(badEnd.join("\n"))).toMatch(/lines were lost or added/);
  });

  it("never hangs on large or odd input", () => {
    expect(parseError("{".repeat(100000))).toMatch(/line 1/);
    expect(parseError("\n".repeat(100000))).toMatch(/line 1/);
  });
});

describe("values", () => {
  const roundTrip = (v: unknown) => decodeValue(JSON.parse(JSON.stringify(encodeValue(v, true, "value"))));

  it("bytes, numbers JSON cannot hold, BigInt, Date, Map, Set, typed arrays, nested plain data", () => {
    const value = {
      bytes: new Uint8Array([0, 1, 254, 255]),
      nan: NaN,
      inf: -Infinity,
      negz: -0,
      big: 12345678901234567890n,
      when: new Date(1700000000000),
      map: new Map<unknown, unknown>([["a", 1], [2, [3]]]),
      set: new Set(["x", "y"]),
      f64: new Float64Array([1.5, -2]),
      buf: new Uint16Array([1, 65535]).buffer,
      undef: undefined,
      nested: [{ $weird: "key" }, null, true, "s"],
    };
    const back = roundTrip(value) as typeof value;
    expect(back.bytes).toEqual(new Uint8Array([0, 1, 254, 255]));
    expect(back.bytes).toBeInstanceOf(Uint8Array);
    expect(back.nan).toBeNaN();
    expect(back.inf).toBe(-Infinity);
    expect(Object.is(back.negz, -0)).toBe(true);
    expect(back.big).toBe(12345678901234567890n);
    expect(back.when).toEqual(new Date(1700000000000));
    expect(back.map).toEqual(value.map);
    expect(back.set).toEqual(value.set);
    expect(back.f64).toEqual(value.f64);
    expect(new Uint16Array(back.buf as ArrayBuffer)).toEqual(new Uint16Array([1, 65535]));
    expect("undef" in back && back.undef === undefined).toBe(true);
    expect(back.nested).toEqual([{ $weird: "key" }, null, true, "s"]);
  });

  it("errors come back with their class (built-in or wasyncio's), name, message, stack and fields", () => {
    const e = new RangeError("too far");
    (e as RangeError & { code: string }).code = "E_FAR";
    const back = roundTrip(e) as RangeError & { code: string };
    expect(back).toBeInstanceOf(RangeError);
    expect(back.message).toBe("too far");
    expect(back.code).toBe("E_FAR");
    expect(back.stack).toBe(e.stack);
    const v = roundTrip(new ValueError("bad", { cause: 1 })) as ValueError;
    expect(v).toBeInstanceOf(ValueError);
    expect(v.name).toBe("ValueError");
    expect(v.cause).toBe(1);
    const custom = new Error("odd");
    custom.name = "AbortError";
    const c = roundTrip(custom) as Error;
    expect(c).toBeInstanceOf(Error);
    expect(c.name).toBe("AbortError");
  });

  it("strict encoding refuses what a replay cannot give back, naming where it is", () => {
    expect(() => encodeValue({ res: new Response("x") }, true, "value")).toThrow(/value\.res is a Response .*a trace cannot hold/);
    expect(() => encodeValue([() => 1], true, "value")).toThrow(/value\[0\] is a function/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => encodeValue(cyclic, true, "value")).toThrow(/value\.self is a cycle/);
    // lenient (commands: compared, never rebuilt): a placeholder
    expect(encodeValue({ ctx: new Response("x") }, false, "tls")).toEqual({ ctx: { $host: "a Response" } });
  });

  it("base64 round-trips every length and refuses bad text", () => {
    for (let n = 0; n < 70; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, k) => (k * 37 + n) & 255);
      expect(toBase64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
      expect(fromBase64(toBase64(bytes))).toEqual(bytes);
    }
    expect(fromBase64("abc")).toBeNull();
    expect(fromBase64("ab!=")).toBeNull();
  });
});
