// goheap writes a Go heap profile (runtime/pprof.WriteHeapProfile) to the
// file named by its argument: a real profile from another producer for the
// heapprof command's tests.  Two sites keep memory live (goLeaf 4 MiB,
// goOther 256 KiB) and one allocates garbage; the sampling rate is lowered
// to 4 KiB so that every site has samples, and three collections run before
// the profile is written so that it shows all of them.
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
)

var keep [][]byte

//go:noinline
func goLeaf() {
	for i := 0; i < 256; i++ {
		keep = append(keep, make([]byte, 16384))
	}
}

//go:noinline
func goOther() {
	for i := 0; i < 16; i++ {
		keep = append(keep, make([]byte, 16384))
	}
}

//go:noinline
func goGarbage() int {
	n := 0
	for i := 0; i < 100; i++ {
		b := make([]byte, 8192)
		n += len(b)
	}
	return n
}

func main() {
	runtime.MemProfileRate = 4096
	goLeaf()
	goOther()
	goGarbage()
	// The profile may be up to two collections old (runtime.MemProfile's
	// documentation): with one GC, goLeaf's blocks were sometimes only
	// partly in it (cli_go failed about 1 run in 30 with ~0.8 MiB of 4);
	// with two it still did once (session 25: 0.6 MiB of 4), so three.
	for i := 0; i < 3; i++ {
		runtime.GC()
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}
