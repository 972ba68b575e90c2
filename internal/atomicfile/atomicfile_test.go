package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

func TestWriteFileNewAndReplace(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := WriteFile(p, []byte("one"), 0o640); err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, "one", 0o640)
	// An existing file keeps its mode when perm differs.
	if err := WriteFile(p, []byte("two"), 0o600); err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, "two", 0o640)
	// ForcePerm sets it.
	if err := Write(p, []byte("three"), Options{Perm: 0o600, ForcePerm: true}); err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, "three", 0o600)
	assertNoDebris(t, dir)
}

func TestDefaultPerm(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	p := filepath.Join(t.TempDir(), "f")
	if err := Write(p, nil, Options{}); err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, "", 0o644)
}

func TestCloseWithoutCommitLeavesTarget(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("new but abandoned")); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	checkFile(t, p, "old", 0o644)
	assertNoDebris(t, dir)
	if _, err := f.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
	if err := f.Commit(); err == nil {
		t.Error("Commit after Close succeeded")
	}
}

func TestRefusesNonRegularTarget(t *testing.T) {
	dir := t.TempDir()
	err := WriteFile(dir, []byte("x"), 0o644)
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("WriteFile over a directory: %v", err)
	}
}

func TestMissingDirectory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no", "such", "f")
	err := WriteFile(p, []byte("x"), 0o644)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), p) {
		t.Fatalf("WriteFile into a missing directory: %v", err)
	}
}

func TestTempFileIsPrivate(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(filepath.Join(dir, "key"), Options{Perm: 0o600})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := os.Stat(f.tmp.Name())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("temporary file mode %v, want 0600 before Commit", fi.Mode().Perm())
	}
}

func TestKeepOwner(t *testing.T) {
	testenv.RequireRoot(t) // chown to another owner needs root
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, 1234, 5678); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, []byte("new"), Options{KeepOwner: true}); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != 1234 || st.Gid != 5678 {
		t.Fatalf("owner %d:%d, want 1234:5678", st.Uid, st.Gid)
	}
}

func TestSymlinkReplaces(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "current")
	for _, target := range []string{"releases/a", "releases/b", "releases/c"} {
		if err := Symlink(target, link); err != nil {
			t.Fatal(err)
		}
		got, err := os.Readlink(link)
		if err != nil || got != target {
			t.Fatalf("Readlink = %q, %v; want %q", got, err, target)
		}
	}
	assertNoDebris(t, dir)
}

// childEnv makes the test binary act as a writer process that the crash
// test kills at a random moment.
const childEnv = "HOSTKIT_ATOMICFILE_CHILD"

func TestMain(m *testing.M) {
	if p := os.Getenv(childEnv); p != "" {
		os.Exit(writerChild(p))
	}
	os.Exit(m.Run())
}

// writerChild replaces p with the "new" content in small, slow chunks, then
// reports that it committed and waits to be killed.
func writerChild(p string) int {
	f, err := Create(p, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	data := content("new")
	fmt.Println("writing")
	for i := 0; i < len(data); i += 4096 {
		if _, err := f.Write(data[i:min(i+4096, len(data))]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		time.Sleep(100 * time.Microsecond)
	}
	if err := f.Commit(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("committed")
	time.Sleep(time.Minute)
	return 0
}

// content is 1 MiB of a recognizable pattern, so a prefix or a mix of the
// old and new files can never compare equal to either.
func content(tag string) []byte {
	return bytes.Repeat([]byte(tag+strings.Repeat(".", 60)+"\n"), 1<<20/64)
}

// TestCrashSafety kills a real writer process at random points while it
// replaces a file, and checks that the file is always whole: the old content
// or the new, never a partial one.
func TestCrashSafety(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	oldData, newData := content("old"), content("new")
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	sawOld, sawNew := 0, 0
	for i := 0; i < 20; i++ {
		dir := t.TempDir()
		p := filepath.Join(dir, "target")
		if err := WriteFile(p, oldData, 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(self, "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+p)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait until the writer has its temporary file, then kill it
		// somewhere in its ~300 ms of writing (256 paced chunks) or a little after.
		line := make([]byte, len("writing\n"))
		if _, err := io.ReadFull(out, line); err != nil {
			t.Fatalf("run %d: writer did not start: %v", i, err)
		}
		time.Sleep(time.Duration(rng.IntN(450)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("run %d: target unreadable after kill: %v", i, err)
		}
		switch {
		case bytes.Equal(got, oldData):
			sawOld++
		case bytes.Equal(got, newData):
			sawNew++
		default:
			t.Fatalf("run %d: target holds %d bytes that are neither the old nor the new content", i, len(got))
		}
	}
	t.Logf("after 20 kills: old content %d times, new content %d times", sawOld, sawNew)
	if sawOld == 0 {
		t.Error("no kill landed before the commit; the test did not exercise a partial write")
	}
}

func checkFile(t *testing.T, p, want string, perm fs.FileMode) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s holds %q, want %q", p, got, want)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != perm {
		t.Errorf("%s has mode %v, want %v", p, fi.Mode().Perm(), perm)
	}
}

func assertNoDebris(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), TempPrefix) {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// A name as long as the file system allows (NAME_MAX, 255 bytes here) can
// be replaced and linked: the temporary name beside it must not be longer.
func TestLongNames(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{200, 230, 255} {
		p := filepath.Join(dir, strings.Repeat("n", n))
		// The file system takes the name itself.
		if err := os.WriteFile(p, []byte("old"), 0o640); err != nil {
			t.Fatalf("os.WriteFile of a %d-byte name: %v", n, err)
		}
		if err := WriteFile(p, []byte("new"), 0o644); err != nil {
			t.Errorf("WriteFile of a %d-byte name: %v", n, err)
		} else {
			checkFile(t, p, "new", 0o640)
		}
		l := filepath.Join(dir, strings.Repeat("l", n))
		for _, target := range []string{"a", "b"} {
			if err := Symlink(target, l); err != nil {
				t.Errorf("Symlink of a %d-byte name: %v", n, err)
			} else if got, err := os.Readlink(l); err != nil || got != target {
				t.Errorf("Readlink = %q, %v; want %q", got, err, target)
			}
		}
	}
	assertNoDebris(t, dir)
}
