// The benchmark's Java program: `threads` threads walk random call paths of
// depth 8 through four methods, allocating at each leaf (and spinning at one
// leaf in eight), so that a recording with allocation events holds millions of
// events over thousands of distinct stacks. Run by bench/jfr.bench.js.
import java.util.Random;

public class Load {
  static volatile Object sink;
  static volatile long acc;

  static long spin(int n) {
    long s = 0;
    for (int i = 0; i < n; i++) s += (i * 31L) ^ (s >>> 3);
    return s;
  }

  static void a(int d, long r) { if (d == 0) leaf(r); else pick(d - 1, r); }
  static void b(int d, long r) { if (d == 0) leaf(r); else pick(d - 1, r); }
  static void c(int d, long r) { if (d == 0) leaf(r); else pick(d - 1, r); }
  static void e(int d, long r) { if (d == 0) leaf(r); else pick(d - 1, r); }

  static void pick(int d, long r) {
    switch ((int) (r & 3)) {
      case 0: a(d, r >>> 1); break;
      case 1: b(d, r >>> 1); break;
      case 2: c(d, r >>> 1); break;
      default: e(d, r >>> 1);
    }
  }

  static void leaf(long r) {
    sink = new byte[64 + (int) (r & 511)];
    if ((r & 7) == 0) acc += spin(200);
  }

  public static void main(String[] args) throws Exception {
    final long end = System.nanoTime() + Long.parseLong(args[0]) * 1_000_000L;
    Thread[] threads = new Thread[Integer.parseInt(args[1])];
    for (int t = 0; t < threads.length; t++) {
      final long seed = t;
      threads[t] = new Thread(() -> {
        Random r = new Random(seed);
        while (System.nanoTime() < end) pick(8, r.nextLong() & 0xfffffL);
      }, "load-" + t);
      threads[t].start();
    }
    for (Thread t : threads) t.join();
  }
}
