// The bank of bank.mjs, fixed: the check and the act hold the account's lock across the await,
// so no other withdrawal can check the balance in between. `wasyncio explore` finds no failing
// seed (the README's "Find the race").
//
//   npx wasyncio explore examples/bank/bank-locked.mjs --seeds 1000 --schedule pct

import { Lock, createTask, gather, sleep } from "wasyncio";
import { OverdraftError } from "./bank.mjs";

function* fraudCheck(_who, _amount) {
  yield* sleep(0);
}

function* withdraw(account, who, amount) {
  yield* account.lock.acquire();
  try {
    if (account.balance < amount) {
      account.log.push(`${who} refused`);
      return false;
    }
    yield* fraudCheck(who, amount); // other tasks run here, but none can check this balance
    account.balance -= amount;
    account.log.push(`${who} took ${amount}`);
    return true;
  } finally {
    account.lock.release();
  }
}

function* bobSession(account) {
  yield* sleep(0); // signs in
  return yield* withdraw(account, "bob", 60);
}

/** alice and bob each withdraw 60 from 100: one of them is refused, whatever the order. */
export default function* lockedBank() {
  const account = { balance: 100, log: [], lock: new Lock() };
  const alice = createTask(withdraw(account, "alice", 60), { name: "alice" });
  const bob = createTask(bobSession(account), { name: "bob" });
  yield* gather(alice, bob);
  if (account.balance < 0) {
    throw new OverdraftError(`account overdrawn: balance is ${account.balance} after two withdrawals of 60`);
  }
  return account;
}
