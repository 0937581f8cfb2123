// cpuhog burns CPU in three functions in the proportions 3:2:1 and writes a
// CPU profile with runtime/pprof: the real producer that pyro's pprof tests
// check themselves against. hogA and hogB run under pprof labels
// (worker=a, worker=b); hogC calls mix, which the compiler inlines.
//
//	cpuhog OUT.pb.gz [SECONDS]
package main

import (
	"context"
	"os"
	"runtime/pprof"
	"strconv"
	"time"
)

var sink uint64

//go:noinline
func hogA(n int) {
	x := sink
	for i := 0; i < 3*n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink = x
}

//go:noinline
func hogB(n int) {
	x := sink
	for i := 0; i < 2*n; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink = x
}

// mix is small enough for the compiler to inline into hogC.
func mix(x uint64) uint64 { return x*6364136223846793005 + 1442695040888963407 }

//go:noinline
func hogC(n int) {
	x := sink
	for i := 0; i < n; i++ {
		x = mix(x)
	}
	sink = x
}

func main() {
	out, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	seconds := 2.0
	if len(os.Args) > 2 {
		if seconds, err = strconv.ParseFloat(os.Args[2], 64); err != nil {
			panic(err)
		}
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		panic(err)
	}
	ctx := context.Background()
	const n = 1_000_000
	for start := time.Now(); time.Since(start).Seconds() < seconds; {
		pprof.Do(ctx, pprof.Labels("worker", "a"), func(context.Context) { hogA(n) })
		pprof.Do(ctx, pprof.Labels("worker", "b"), func(context.Context) { hogB(n) })
		hogC(n)
	}
	pprof.StopCPUProfile()
	if err := out.Close(); err != nil {
		panic(err)
	}
}
