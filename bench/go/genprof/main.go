// genprof writes the CPU profile that bench/pprof.bench.js times: SAMPLES
// samples over STACKS distinct stacks (depth 20-40, with shared prefixes as
// in real programs) over a few thousand functions with line numbers, some
// locations holding inlined frames. Deterministic (fixed seed). Built against
// Debian's golang-github-google-pprof-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o bench/out/genprof ./bench/go/genprof
//	bench/out/genprof OUT.pb.gz [SAMPLES] [STACKS]
package main

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/google/pprof/profile"
)

const (
	nFunctions    = 4000
	linesPerFunc  = 6
	prefixPool    = 2000
	inlinedEveryN = 7
)

func main() {
	out := os.Args[1]
	samples := arg(2, 1_000_000)
	stacks := arg(3, 200_000)
	rng := rand.New(rand.NewSource(42))

	mapping := &profile.Mapping{ID: 1, Start: 0x400000, Limit: 0x4000000, File: "/usr/local/bin/server",
		HasFunctions: true, HasFilenames: true, HasLineNumbers: true, HasInlineFrames: true}
	p := &profile.Profile{
		SampleType:    []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}},
		PeriodType:    &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:        10_000_000,
		TimeNanos:     time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano(),
		DurationNanos: int64(samples) * 10_000_000 / 8,
		Mapping:       []*profile.Mapping{mapping},
	}
	pkgs := []string{"net/http", "encoding/json", "database/sql", "runtime", "sync", "github.com/acme/server/api",
		"github.com/acme/server/store", "github.com/acme/server/cache", "google.golang.org/grpc", "compress/gzip"}
	for i := 0; i < nFunctions; i++ {
		pkg := pkgs[i%len(pkgs)]
		name := fmt.Sprintf("%s.(*T%d).Method%d", pkg, i/37, i)
		file := fmt.Sprintf("/src/%s/file%d.go", pkg, i%53)
		p.Function = append(p.Function, &profile.Function{ID: uint64(i + 1), Name: name, SystemName: name,
			Filename: file, StartLine: int64(10 + i%400)})
	}
	// Each function has a few call sites (locations with distinct lines);
	// every few locations also hold an inlined callee.
	addr := uint64(0x401000)
	for f := 0; f < nFunctions; f++ {
		fn := p.Function[f]
		for l := 0; l < linesPerFunc; l++ {
			loc := &profile.Location{ID: uint64(len(p.Location) + 1), Mapping: mapping, Address: addr}
			addr += 0x10 + uint64(rng.Intn(64))
			if len(p.Location)%inlinedEveryN == 0 {
				callee := p.Function[rng.Intn(nFunctions)]
				loc.Line = append(loc.Line, profile.Line{Function: callee, Line: callee.StartLine + 3})
			}
			loc.Line = append(loc.Line, profile.Line{Function: fn, Line: fn.StartLine + int64(l*4+1)})
			p.Location = append(p.Location, loc)
		}
	}
	randomLoc := func() *profile.Location { return p.Location[rng.Intn(len(p.Location))] }
	// Shared prefixes (root first) of depth 10-20, then a random tail of depth 10-20.
	prefixes := make([][]*profile.Location, prefixPool)
	for i := range prefixes {
		d := 10 + rng.Intn(11)
		for j := 0; j < d; j++ {
			prefixes[i] = append(prefixes[i], randomLoc())
		}
	}
	seen := map[string]bool{}
	var all [][]*profile.Location
	var key strings.Builder
	for len(all) < stacks {
		prefix := prefixes[rng.Intn(prefixPool)]
		tail := 10 + rng.Intn(11)
		leafFirst := make([]*profile.Location, 0, len(prefix)+tail)
		for j := 0; j < tail; j++ {
			leafFirst = append(leafFirst, randomLoc())
		}
		for j := len(prefix) - 1; j >= 0; j-- {
			leafFirst = append(leafFirst, prefix[j])
		}
		key.Reset()
		for _, l := range leafFirst {
			key.WriteString(strconv.FormatUint(l.ID, 36))
			key.WriteByte(',')
		}
		if !seen[key.String()] {
			seen[key.String()] = true
			all = append(all, leafFirst)
		}
	}
	// Every stack at least once, the rest skewed towards a hot subset.
	for i := 0; i < samples; i++ {
		var s []*profile.Location
		if i < stacks {
			s = all[i]
		} else {
			r := rng.Float64()
			s = all[int(r*r*r*float64(stacks))]
		}
		n := int64(1 + rng.Intn(3))
		p.Sample = append(p.Sample, &profile.Sample{Location: s, Value: []int64{n, n * p.Period}})
	}
	f, err := os.Create(out)
	if err != nil {
		panic(err)
	}
	if err := p.Write(f); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}

func arg(i, def int) int {
	if len(os.Args) <= i {
		return def
	}
	n, err := strconv.Atoi(os.Args[i])
	if err != nil {
		panic(err)
	}
	return n
}
