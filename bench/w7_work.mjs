// The function bench/w7.mjs runs off the loop with toThread: trivial on purpose, so W7 measures
// the round trip itself.
export function inc(x) {
  return x + 1;
}
