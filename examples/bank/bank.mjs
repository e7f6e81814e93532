// The racy bank withdrawal: a check-then-act split by a `yield*` (the README's "Find the race").
//
// `withdraw` checks the balance, then waits on a call to another service (a fraud check, played
// here by `sleep(0)`), then takes the money. While it waits, other tasks run. If one of them
// checks the same balance before the first withdrawal is taken, both checks pass and the account
// ends below zero. Under asyncio's FIFO order this program passes — alice's withdrawal is taken
// before bob's check runs — so a test run in the default order never sees the bug. One change of
// order is enough:
//
//   npx wasyncio explore examples/bank/bank.mjs --seeds 1000           finds failing seeds
//   npx wasyncio shrink .wasyncio/bank-….tape.json                      cuts one down to the race
//
// `node examples/bank/bank.mjs` runs it once in FIFO order (it passes).

import { createTask, gather, getRunningLoop, runSync, sleep } from "wasyncio";

/** The invariant the bank promises: no account below zero. */
export class OverdraftError extends Error {
  name = "OverdraftError";
}

/** A call to another service that takes one turn of the loop (an HTTP request, a database read…). */
function* fraudCheck(_who, _amount) {
  yield* sleep(0);
}

function* withdraw(account, who, amount) {
  if (account.balance < amount) {
    account.log.push(`${who} refused`);
    return false;
  }
  yield* fraudCheck(who, amount); // ← the balance can change while this waits
  account.balance -= amount;
  account.log.push(`${who} took ${amount}`);
  return true;
}

function* signIn(_who) {
  yield* sleep(0);
}

function* bobSession(account) {
  yield* signIn("bob");
  return yield* withdraw(account, "bob", 60);
}

/** A task that only reads: it adds interleavings, and no risk. */
function* statement(account, lines) {
  for (let k = 0; k < 3; k++) {
    lines.push(`t=${getRunningLoop().time()} balance ${account.balance}`);
    yield* sleep(0);
  }
}

/**
 * The scenario `wasyncio explore` runs: alice withdraws 60 at once, bob signs in first and then
 * withdraws 60, from an account holding 100. At most one of them may get the money.
 */
export default function* bank() {
  const account = { balance: 100, log: [] };
  const lines = [];
  const alice = createTask(withdraw(account, "alice", 60), { name: "alice" });
  const bob = createTask(bobSession(account), { name: "bob" });
  const printer = createTask(statement(account, lines), { name: "statement" });
  yield* gather(alice, bob, printer);
  if (account.balance < 0) {
    throw new OverdraftError(`account overdrawn: balance is ${account.balance} after two withdrawals of 60`);
  }
  return account;
}

if (typeof process !== "undefined" && process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, "/"))) {
  const account = runSync(bank);
  console.log(`FIFO order: ${account.log.join(", ")}; balance ${account.balance}`);
}
