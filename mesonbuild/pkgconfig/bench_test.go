package pkgconfig

import (
	"os/exec"
	"strings"
	"testing"
)

func installedModules(b *testing.B) []string {
	b.Helper()
	c, err := New(Options{Env: pkgconfEnv()})
	if err != nil {
		b.Fatal(err)
	}
	pkgs, _ := c.List()
	var mods []string
	for _, p := range pkgs {
		mods = append(mods, p.ID)
	}
	if len(mods) == 0 {
		b.Skip("no .pc files installed")
	}
	return mods
}

// BenchmarkAllModulesColdClient resolves --cflags --libs for every
// installed module with one new client per iteration (every file read
// and parsed), the in-process side of testdata/bench.sh.
//
// Once the client has listed the search directories it reads ahead in a
// second goroutine (see preload.go); BenchmarkAllModulesColdClientNoPreload
// is the same on one goroutine.
func BenchmarkAllModulesColdClient(b *testing.B) {
	benchmarkCold(b, Options{})
}

// BenchmarkAllModulesColdClientNoPreload is BenchmarkAllModulesColdClient
// without reading ahead (Options.NoPreload): one goroutine does it all.
func BenchmarkAllModulesColdClientNoPreload(b *testing.B) {
	benchmarkCold(b, Options{NoPreload: true})
}

func benchmarkCold(b *testing.B, opts Options) {
	mods := installedModules(b)
	opts.Env = pkgconfEnv()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, _ := New(opts)
		for _, m := range mods {
			c.Flags(m)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(mods)), "ns/module")
	b.ReportMetric(float64(len(mods)), "modules")
}

// BenchmarkAllModulesWarmClient is the same with the files already
// parsed: what a long-lived client (the meson orchestrator) pays per
// query.
func BenchmarkAllModulesWarmClient(b *testing.B) {
	mods := installedModules(b)
	c, _ := New(Options{Env: pkgconfEnv()})
	for _, m := range mods {
		c.Flags(m)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range mods {
			c.Flags(m)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(mods)), "ns/module")
}

// BenchmarkSpawnPkgconf is the peer: one pkgconf process per module.
func BenchmarkSpawnPkgconf(b *testing.B) {
	bin, err := exec.LookPath("pkgconf")
	if err != nil {
		b.Skip("pkgconf not installed")
	}
	mods := installedModules(b)
	env := pkgconfEnv()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, m := range mods {
			cmd := exec.Command(bin, "--cflags", "--libs", m)
			cmd.Env = env
			cmd.Run()
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(mods)), "ns/module")
}

func BenchmarkCompareVersions(b *testing.B) {
	for i := 0; i < b.N; i++ {
		CompareVersions("2.74.6", "2.74.10~rc1")
	}
}

func BenchmarkParse(b *testing.B) {
	data := []byte(strings.Repeat("# comment\n", 3) + `prefix=/usr
exec_prefix=${prefix}
libdir=${prefix}/lib/x86_64-linux-gnu
includedir=${prefix}/include
Name: GLib
Description: C Utility Library
Version: 2.74.6
Requires.private: libpcre2-8 >= 10.32
Libs: -L${libdir} -lglib-2.0
Libs.private: -pthread -lm
Cflags: -I${includedir}/glib-2.0 -I${libdir}/glib-2.0/include
`)
	c, _ := New(Options{Env: []string{}})
	b.SetBytes(int64(len(data)))
	for i := 0; i < b.N; i++ {
		c.evaluate(Parse("/x/glib-2.0.pc", data), false)
	}
}
