// A small program with known hot spots, for the quick start and the tests:
// about 60% of its time in parseRecords, 30% in checksum, 10% in render.
function spin(ms, fn) {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x += fn(x);
  return x;
}
function parseRecords(ms) {
  return spin(ms, (x) => JSON.parse(`{"v":${x % 1000}}`).v);
}
function checksum(ms) {
  return spin(ms, (x) => (x * 2654435761) % 4294967296 > 7 ? 1 : 0);
}
function render(ms) {
  return spin(ms, (x) => String(x).length);
}
function main() {
  const total = Number(process.argv[2] ?? 1000);
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    sum += parseRecords(total * 0.06);
    sum += checksum(total * 0.03);
    sum += render(total * 0.01);
  }
  return sum;
}
main();
