// Subprocesses (asyncio's create_subprocess_exec): pipe input in, read output back.
// Run: node examples/subprocess.mjs
import { run, createSubprocessExec, PIPE } from "wasyncio";

await run(function* main() {
  const proc = yield* createSubprocessExec("sort", "-r", { stdin: PIPE, stdout: PIPE });
  const [out] = yield* proc.communicate(new TextEncoder().encode("apple\ncherry\nbanana\n"));
  console.log(new TextDecoder().decode(out).trim().split("\n").join(", "));
  console.log(`sort exited with ${proc.returncode}`);
});
