// A fixed amount of work (not a fixed time), so that a profiler's overhead shows in the wall time.
// Prints its own elapsed milliseconds, start-up excluded. Argument: rounds (default 40).
const rounds = Number(process.argv[2] ?? 40);
const t0 = process.hrtime.bigint();
function parse(n) {
  let s = 0;
  for (let i = 0; i < n; i++) s += JSON.parse(`{"a":${i},"b":[1,2,3]}`).a;
  return s;
}
function hash(n) {
  let h = 0;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ i, 2654435761) >>> 0;
  return h;
}
let sum = 0;
for (let r = 0; r < rounds; r++) {
  sum += parse(40000);
  sum += hash(3000000);
}
console.log(Number(process.hrtime.bigint() - t0) / 1e6, sum > 0 ? '' : '!');
