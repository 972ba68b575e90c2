package atomicfile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// Replace a private key so that no reader ever sees half of it, and so
// that it is 0600 whatever mode the old file had.
func ExampleWrite() {
	dir, _ := os.MkdirTemp("", "atomicfile-example")
	defer os.RemoveAll(dir)
	key := filepath.Join(dir, "key.pem")

	if err := atomicfile.Write(key, []byte("-----BEGIN EC PRIVATE KEY-----\n"),
		atomicfile.Options{Perm: 0o600, ForcePerm: true}); err != nil {
		fmt.Println(err)
		return
	}
	fi, _ := os.Stat(key)
	fmt.Println(fi.Mode().Perm())
	// Output: -rw-------
}

// Stream a large file and put it in place only when it is complete.
func ExampleCreate() {
	dir, _ := os.MkdirTemp("", "atomicfile-example")
	defer os.RemoveAll(dir)
	out := filepath.Join(dir, "report.txt")

	f, err := atomicfile.Create(out, atomicfile.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close() // discards the temporary file unless Commit succeeded
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(f, "line %d\n", i)
	}
	if err := f.Commit(); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(out)
	fmt.Print(string(b))
	// Output:
	// line 1
	// line 2
	// line 3
}
