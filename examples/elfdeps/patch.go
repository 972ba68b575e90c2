package main

import (
	"context"
	"fmt"
	"io"
)

// runPatch implements `elfdeps patch` with patchelf's flags. Placeholder
// until issue #5 lands the patcher; it exits 1 so no build script mistakes
// it for a working patchelf.
func runPatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "elfdeps patch: not implemented yet (issue #5)")
	return 1
}
