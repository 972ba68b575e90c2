package elfwrap

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// noHang runs fn and fails the test if it has not returned after 20 s
// (a FIFO opened for reading without O_NONBLOCK waits for a writer
// forever).
func noHang(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s blocked on a FIFO", what)
	}
}

// A FIFO where a program, a library, the cache or a configuration file was
// expected is refused at once: Inspect, LoadCache, ParseLDConf, Resolve
// and Scan never wait for a writer.
func TestFIFOsNeverBlock(t *testing.T) {
	dir := t.TempDir()
	fifo := func(p string) string {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	f := fifo(filepath.Join(dir, "prog"))
	noHang(t, "Inspect", func() {
		if _, err := Inspect(f); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("Inspect(FIFO) = %v", err)
		}
	})
	noHang(t, "LoadCache", func() {
		if _, err := LoadCache(f); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("LoadCache(FIFO) = %v", err)
		}
	})
	conf := filepath.Join(dir, "ld.so.conf")
	os.WriteFile(conf, []byte("include "+filepath.Join(dir, "conf.d", "*.conf")+"\n"), 0o644)
	fifo(filepath.Join(dir, "conf.d", "x.conf"))
	noHang(t, "ParseLDConf", func() {
		if _, err := ParseLDConf("", conf); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("ParseLDConf with a FIFO included = %v", err)
		}
	})

	// A FIFO named like the library on the search path: never opened for
	// a blocking read. (glibc's loader would block in open(2), and fail
	// the whole load reading it; ours counts it as an existing file that
	// cannot be opened, which ends that path list as in open_path.)
	early, late := filepath.Join(dir, "early"), filepath.Join(dir, "late")
	fifo(filepath.Join(early, "libtiny.so.1"))
	os.MkdirAll(late, 0o755)
	os.WriteFile(filepath.Join(late, "libtiny.so.1"), readFixture(t, "tiny.so"), 0o644)
	prog := filepath.Join(dir, "tinyexe")
	os.WriteFile(prog, readFixture(t, "tinyexe"), 0o755)
	noHang(t, "Resolve", func() {
		r := &Resolver{LibraryPath: early + ":" + late}
		res, err := r.Resolve(context.Background(), prog)
		if err != nil {
			t.Errorf("Resolve: %v", err)
			return
		}
		if len(res.Missing) != 1 || res.Missing[0].Name != "libtiny.so.1" {
			for _, o := range res.Order {
				t.Logf("%s => %s (%v)", o.Name, o.Path, o.Source)
			}
			t.Errorf("libtiny.so.1 behind a FIFO: want it reported missing")
		}
	})

	// Scan: the FIFO candidate does not satisfy anything.
	tree := filepath.Join(dir, "tree")
	os.MkdirAll(tree, 0o755)
	os.WriteFile(filepath.Join(tree, "prog"), readFixture(t, "tinyexe"), 0o755)
	noHang(t, "Scan", func() {
		rep, err := Scan(context.Background(), tree, ScanOptions{Candidates: []string{early}})
		if err != nil || len(rep.Findings) != 1 || len(rep.Findings[0].Missing) != 1 || len(rep.Findings[0].Missing[0].SatisfiedBy) != 0 {
			t.Errorf("Scan with a FIFO candidate: %+v, %v", rep, err)
		}
	})
}
