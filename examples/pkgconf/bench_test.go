package main

import (
	"context"
	"io"
	"os"
	"testing"
)

// BenchmarkCommand is one invocation of the command's work
// (--cflags --libs of BENCH_MODULE, default wlroots) with a fresh client,
// as a process does after the Go runtime has started: what
// testdata/bench.sh times end to end, without process start.
func BenchmarkCommand(b *testing.B) {
	module := os.Getenv("BENCH_MODULE")
	if module == "" {
		module = "wlroots"
	}
	env := cleanEnv()
	if code := runEnv(context.Background(), []string{"pkgconf", "--exists", module}, env, io.Discard, io.Discard); code != 0 {
		b.Skipf("module %s is not installed", module)
	}
	b.ReportAllocs()
	for b.Loop() {
		runEnv(context.Background(), []string{"pkgconf", "--cflags", "--libs", module}, env, io.Discard, io.Discard)
	}
}
