// Command elfdeps inspects ELF files, resolves their libraries as ld.so
// would, finds what is missing, writes wrappers and patches binaries.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "patch" {
		return runPatch(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintln(stderr, "usage: elfdeps patch [patchelf flags] FILE (other subcommands: issue #4)")
	return 2
}
