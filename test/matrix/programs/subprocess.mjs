// Subprocesses: exec with pipes (communicate), a shell command's exit status and stderr, a
// program that does not exist. Hosts without processes (browsers, workerd) raise
// NotImplementedError at the call.
import { PIPE, createSubprocessExec, createSubprocessShell, run } from "wasyncio";
import { attempt, bytes, openResources, text } from "./_lib.mjs";

export default async function main(t) {
  t.check(
    "createSubprocessExec: cat through pipes",
    await run(() =>
      attempt(
        () => createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE }),
        function* (spawning) {
          const proc = yield* spawning;
          const [out, err] = yield* proc.communicate(bytes("through cat\n"));
          return [text(out), err, proc.returncode, openResources()];
        },
      ),
    ),
    ["through cat\n", null, 0, []],
    "subprocess",
  );

  t.check(
    "createSubprocessShell: stdout, stderr, exit status",
    await run(() =>
      attempt(
        () => createSubprocessShell("echo out; echo err >&2; exit 3", { stdout: PIPE, stderr: PIPE }),
        function* (spawning) {
          const proc = yield* spawning;
          const [out, err] = yield* proc.communicate();
          const code = yield* proc.wait();
          return [text(out), text(err), code, proc.returncode];
        },
      ),
    ),
    ["out\n", "err\n", 3, 3],
    "subprocess",
  );

  t.check(
    "a program that does not exist is FileNotFoundError",
    await run(() =>
      attempt(
        () => createSubprocessExec("wasyncio-matrix-no-such-program"),
        function* (spawning) {
          try {
            yield* spawning;
            return "spawned";
          } catch (e) {
            return [e.name, e.code, openResources()];
          }
        },
      ),
    ),
    ["FileNotFoundError", "ENOENT", []],
    "subprocess",
  );
}
