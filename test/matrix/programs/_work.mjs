// Functions the executor program runs in a worker (no wasyncio import: plain work).
export function twice(x) {
  return 2 * x;
}

export function fail(why) {
  throw new RangeError(`fail: ${why}`);
}
