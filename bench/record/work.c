/* A fixed amount of work, built with frame pointers; prints its own elapsed milliseconds. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
__attribute__((noinline)) static unsigned long mix(unsigned long n) {
  unsigned long h = 0;
  for (unsigned long i = 0; i < n; i++) h = (h ^ i) * 2654435761u;
  return h;
}
__attribute__((noinline)) static unsigned long sum(unsigned long n) {
  volatile unsigned long s = 0;
  for (unsigned long i = 0; i < n; i++) s += i % 7;
  return s;
}
int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 40;
  double t0 = now();
  unsigned long h = 0;
  for (int r = 0; r < rounds; r++) h += mix(20000000) + sum(10000000);
  printf("%f %s\n", now() - t0, h ? "" : "!");
  return 0;
}
