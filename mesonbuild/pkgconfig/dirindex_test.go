package pkgconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// TestDirIndexAgreesWithOpen checks that a client that has listed its
// search directories (after indexAfter failed opens) finds exactly what
// one that opens every candidate finds: first directory wins, an
// -uninstalled.pc file first, names that differ only in case, names with
// a slash (a subdirectory), dangling symlinks, a directory named like a
// .pc file, and a file added after the listing (not seen: the client
// caches, as documented).
func TestDirIndexAgreesWithOpen(t *testing.T) {
	root := t.TempDir()
	d1, d2 := filepath.Join(root, "one"), filepath.Join(root, "two")
	writePC(t, d1, "a", pc("a", "1", ""))
	writePC(t, d2, "a", pc("a", "2", ""))
	writePC(t, d2, "b", pc("b", "2", ""))
	writePC(t, d2, "b-uninstalled", pc("b", "3", ""))
	writePC(t, d1, "Case", pc("Case", "1", ""))
	writePC(t, filepath.Join(d1, "sub"), "nested", pc("nested", "1", ""))
	if err := os.Symlink("nowhere.pc", filepath.Join(d1, "dangling.pc")); err != nil {
		t.Fatal(err)
	}
	writePC(t, d2, "dangling", pc("dangling", "2", ""))
	if err := os.Mkdir(filepath.Join(d1, "isdir.pc"), 0o755); err != nil {
		t.Fatal(err)
	}
	writePC(t, d2, "isdir", pc("isdir", "2", ""))
	names := []string{"a", "b", "Case", "case", "sub/nested", "dangling", "isdir", "missing", "a-uninstalled"}

	env := []string{"PKG_CONFIG_LIBDIR=" + d1 + ":" + d2}
	look := func(c *Client) []string {
		var out []string
		for _, n := range names {
			p := c.find(n)
			if p == nil {
				out = append(out, n+": none")
			} else {
				out = append(out, n+": "+p.Path+" "+p.Version)
			}
		}
		return out
	}
	plain, _ := New(Options{Env: env})
	want := look(plain)
	if plain.listed() != 0 {
		t.Fatal("a client with a few lookups listed its directories")
	}
	indexed, _ := New(Options{Env: env})
	for i := 0; indexed.st.absent.Load() < indexAfter && i < 10*indexAfter; i++ {
		indexed.find(fmt.Sprintf("absent-%d", i))
	}
	got := look(indexed)
	if runtime.GOOS == "linux" && indexed.listed() == 0 {
		testenv.Unavailable(t, "the test directory's file system cannot be indexed (not ext4, tmpfs, btrfs or overlayfs, or case-folding)")
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("indexed lookup %q, opening lookup %q", got[i], want[i])
		}
	}
	// written after the listing: the indexed client does not see it
	writePC(t, d1, "late", pc("late", "1", ""))
	if p := indexed.find("late"); p != nil {
		t.Errorf("a file created after the listing was found: %s", p.Path)
	}
	if fresh, _ := New(Options{Env: env}); fresh.find("late") == nil {
		t.Error("a new client does not find the new file")
	}
}

func TestFields(t *testing.T) {
	dir := t.TempDir()
	path := writePC(t, dir, "f", "x=1\nName: f\nDescription: d\nVersion: 1\nURL: ${x}\nX_Custom: one\nX_Custom: two\n")
	c, _ := New(Options{Env: []string{"PKG_CONFIG_LIBDIR=" + dir}})
	p, err := c.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := p.Field("X_Custom"); !ok || v != "two" {
		t.Errorf("Field(X_Custom) = %q, %v; want the last one, unexpanded", v, ok)
	}
	if v, _ := p.Field("URL"); v != "${x}" {
		t.Errorf("Field(URL) = %q, want it unexpanded", v)
	}
	if _, ok := p.Field("x-custom"); ok {
		t.Error("Field matched a key in another case")
	}
	want := map[string]string{"Name": "f", "Description": "d", "Version": "1", "URL": "${x}", "X_Custom": "two"}
	if got := p.Fields(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Fields() = %v, want %v", got, want)
	}
}

// TestPreloadAgrees runs queries from several goroutines while the
// client's background reader fills the cache, and compares every answer
// with a client that reads ahead of nothing (run it with -race).
func TestPreloadAgrees(t *testing.T) {
	dir := t.TempDir()
	const n = 80
	var names []string
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("m%02d", i)
		req := ""
		if i%8 != 0 {
			// chains of eight, each also using the previous chain's head
			req = fmt.Sprintf("Requires: m%02d\nRequires.private: m%02d\n", i-1, i/8*8)
		}
		writePC(t, dir, name, pc(name, "1."+fmt.Sprint(i), req+fmt.Sprintf("Cflags: -I/inc/%d -DM%d\nLibs: -lm%d\n", i, i, i)))
		names = append(names, name)
	}
	// an invalid file and an uninstalled one among them
	writePC(t, dir, "broken", "Name: broken\n")
	writePC(t, dir, "m05-uninstalled", pc("m05", "9", "Cflags: -DUNINSTALLED\n"))
	names = append(names, "broken", "missing")
	env := []string{"PKG_CONFIG_LIBDIR=" + dir}
	answer := func(c *Client, name string) string {
		cf, lf, err := c.Flags(name)
		if err != nil {
			return name + ": " + err.Error()
		}
		return name + ": " + cf.String() + lf.String()
	}
	ref, _ := New(Options{Env: env, NoPreload: true})
	want := map[string]string{}
	for _, nm := range names {
		want[nm] = answer(ref, nm)
	}
	c, _ := New(Options{Env: env})
	for i := 0; c.st.absent.Load() < indexAfter && i < 10*indexAfter; i++ {
		c.find(fmt.Sprintf("absent-%d", i))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4*len(names))
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range names {
				nm := names[(k*7+g*13)%len(names)]
				if got := answer(c, nm); got != want[nm] {
					errs <- fmt.Sprintf("with the reader %q, without %q", got, want[nm])
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	c.st.mu.Lock()
	preloading := c.st.preloading
	c.st.mu.Unlock()
	if c.listed() == 0 {
		testenv.Unavailable(t, "the test directory's file system cannot be indexed, so the client does not read ahead")
	}
	if runtime.GOMAXPROCS(0) > 1 && !preloading {
		t.Error("the background reader never started: the test compared nothing new")
	}
}

// listed counts the search directories the client could list.
func (c *Client) listed() int {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	n := 0
	for _, x := range c.st.index {
		if x != nil {
			n++
		}
	}
	return n
}

// TestPreloadOpensOnlyRegularFiles puts a FIFO named like a .pc file in
// a search directory that no query names. The background reader must not
// open it: opening a FIFO for reading blocks until a writer comes (the
// reader's goroutine and its thread would never end) and releases any
// writer waiting on it; a device (a link to /dev/zero) would be read
// without end. pkgconf never opens a file that no lookup or scan asks
// for, and a lookup that does ask still opens it itself.
func TestPreloadOpensOnlyRegularFiles(t *testing.T) {
	testenv.RequireLinux(t)
	if runtime.GOMAXPROCS(0) < 2 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	}
	dir := t.TempDir()
	var want []string
	for i := 0; i < 60; i++ {
		want = append(want, writePC(t, dir, fmt.Sprintf("m%02d", i), pc(fmt.Sprintf("m%02d", i), "1", "")))
	}
	fifo := filepath.Join(dir, "pipe.pc")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// a link to a regular file is read ahead, one to a device is not
	link, dev := filepath.Join(dir, "link.pc"), filepath.Join(dir, "null.pc")
	if err := os.Symlink("m00.pc", link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/null", dev); err != nil {
		t.Fatal(err)
	}
	want = append(want, link)
	// a writer that can open the FIFO without blocking finds a reader
	// (one blocked in open counts); opening it also lets that reader go
	hasReader := func() bool {
		fd, err := syscall.Open(fifo, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err != nil {
			return false
		}
		syscall.Close(fd)
		return true
	}
	t.Cleanup(func() { hasReader() })

	c, _ := New(Options{Env: []string{"PKG_CONFIG_LIBDIR=" + dir}})
	for i := 0; c.st.absent.Load() < indexAfter && i < 10*indexAfter; i++ {
		c.find(fmt.Sprintf("absent-%d", i))
	}
	c.find("absent") // the lookup that lists the directory
	if c.listed() == 0 {
		testenv.Unavailable(t, "the test directory's file system cannot be indexed, so the client does not read ahead")
	}
	cached := func() int {
		c.st.mu.Lock()
		defer c.st.mu.Unlock()
		n := 0
		for _, p := range want {
			if _, ok := c.st.byPath[p]; ok {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(30 * time.Second)
	for cached() < len(want) && time.Now().Before(deadline) {
		if hasReader() {
			t.Fatal("the background reader opened a FIFO no query asked for (it blocks until a writer comes)")
		}
		time.Sleep(time.Millisecond)
	}
	if n := cached(); n < len(want) {
		t.Fatalf("the background reader read %d of %d files in 30 s", n, len(want))
	}
	// the FIFO may come last in the listing
	for end := time.Now().Add(200 * time.Millisecond); time.Now().Before(end); time.Sleep(time.Millisecond) {
		if hasReader() {
			t.Fatal("the background reader opened a FIFO no query asked for (it blocks until a writer comes)")
		}
	}
	c.st.mu.Lock()
	_, fifoRead := c.st.byPath[fifo]
	_, devRead := c.st.byPath[dev]
	c.st.mu.Unlock()
	if fifoRead {
		t.Error("the background reader cached the FIFO")
	}
	if devRead {
		t.Error("the background reader read a link to a device")
	}
	// a lookup still opens what it names (an empty file: invalid)
	if p, err := c.Find("null"); p != nil || !errors.Is(err, ErrNotFound) {
		t.Errorf("Find(null) = %v, %v; want not found", p, err)
	}
	c.st.mu.Lock()
	_, devRead = c.st.byPath[dev]
	c.st.mu.Unlock()
	if !devRead {
		t.Error("a lookup of null did not read null.pc")
	}
}
