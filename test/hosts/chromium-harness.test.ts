// The Chromium harness itself (reused by the runtime matrix): a page that fails makes
// runInChromium reject with the page's error, a page that never finishes is stopped at the
// deadline, and the console is collected in order.

import { describe, expect, it } from "vitest";
// @ts-ignore: the harness is plain JavaScript, without types
import { runInChromium } from "./chromium.mjs";

describe("runInChromium", () => {
  it("collects console lines and the value given to done()", async () => {
    const { logs, result } = await runInChromium({
      page: `console.log("one"); console.warn("two"); const m = await import("/extra.mjs"); done({ answer: m.answer });`,
      files: { "/extra.mjs": "export const answer = 42;" },
    });
    expect(logs).toEqual(["one", "warning: two"]);
    expect(result).toEqual({ answer: 42 });
  }, 60_000);

  it("rejects with the page's uncaught error, or returns it with expectErrors", async () => {
    await expect(runInChromium({ page: `throw new RangeError("from the page");` })).rejects.toThrow(
      /the page failed \(error\): RangeError: from the page/,
    );
    const { errors, result } = await runInChromium({ page: `Promise.reject(new TypeError("unhandled"));`, expectErrors: true });
    expect(result).toBeUndefined();
    expect(errors).toMatchObject([{ what: "unhandledrejection", name: "TypeError", message: "unhandled" }]);
  }, 60_000);

  it("rejects when the page module cannot load, and when the page never finishes", async () => {
    await expect(runInChromium({ page: `import "/no-such-module.mjs";` })).rejects.toThrow(/the page failed \(load\)/);
    await expect(runInChromium({ page: `console.log("waiting forever");`, timeoutMs: 4_000 })).rejects.toThrow(
      /did not finish within 4000 ms; logs so far:\nwaiting forever/,
    );
  }, 60_000);
});
