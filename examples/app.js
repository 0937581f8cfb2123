// A small program with known hot spots, for the quick start and the tests:
// about 60% of its time in parseRecords, 30% in checksum, 10% in render.
// Arguments: the run time in ms (default 1000); a factor on checksum's time
// (default 1); and "1" to also run compress, which only such a build has
// (the diff tests record "builds" that way).
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
  return spin(ms, (x) => ((x * 2654435761) % 4294967296 > 7 ? 1 : 0));
}
function render(ms) {
  return spin(ms, (x) => String(x).length);
}
function compress(ms) {
  return spin(ms, (x) => (x << 3) ^ (x >>> 2));
}
function main() {
  const total = Number(process.argv[2] ?? 1000);
  const factor = Number(process.argv[3] ?? 1);
  const extra = process.argv[4] === '1';
  let sum = 0;
  for (let i = 0; i < 10; i++) {
    sum += parseRecords(total * 0.06);
    sum += checksum(total * 0.03 * factor);
    sum += render(total * 0.01);
    if (extra) sum += compress(total * 0.004);
  }
  return sum;
}
main();
