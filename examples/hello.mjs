// The example every user runs first (`npm start`): asyncio's hello world, in wasyncio.
import { run, sleep, gather } from "wasyncio";

function* greet(name) {
  console.log(`Hello, ${name}!`);
  yield* sleep(1);
  console.log(`Goodbye, ${name}!`);
}

await run(function* main() {
  console.log("Starting wasyncio application...");
  yield* gather(greet("Alice"), greet("Bob"));
  console.log("wasyncio application finished.");
});
