// A module the executor example hands to a worker: plain functions, no side effects at import.
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
