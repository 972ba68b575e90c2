package main

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hostkit-dev/hostkit/mesonbuild"
)

// The status line on a terminal is shortened to fit; a project or file
// name with non-ASCII characters must not be cut inside a character
// (the terminal would show garbage).
func TestDisplayShortensOnCharacterBoundary(t *testing.T) {
	for shift := 0; shift < 4; shift++ {
		var buf bytes.Buffer
		d := &display{w: &buf, tty: true}
		desc := "Compiling C object " + strings.Repeat("x", shift) + strings.Repeat("é", 60) + ".o"
		d.progress(mesonbuild.Progress{Kind: mesonbuild.ProgressEdge, Project: "prög", Done: 1, Total: 9, Description: desc})
		if !utf8.Valid(buf.Bytes()) {
			t.Errorf("shift %d: status line is not valid UTF-8: %q", shift, buf.String())
		}
		if !strings.HasSuffix(buf.String(), "...") {
			t.Errorf("shift %d: long status line not shortened: %q", shift, buf.String())
		}
	}
}
