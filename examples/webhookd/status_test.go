package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A status file that cannot be read is a failure: the error names the
// file, and the exit status is 1 (not 0 with the site shown as empty).
func TestStatusCorruptFile(t *testing.T) {
	ss := newSetup(t, nil, "1m")
	file := filepath.Join(ss.state, "sites", "site", "status.json")
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(`{"site": "site", "counters": {"accepted": 1`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status", "-config", ss.config}, {"status", "-config", ss.config, "-json"}} {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), file) {
			t.Errorf("%v with a truncated %s: exit %d, stderr %q; want 1 and the file named", args, file, code, errb.String())
		}
	}
}

// Stray positional arguments are bad usage for every subcommand, as for
// serve (a forgotten -site would otherwise act on something else).
func TestSubcommandsRejectStrayArguments(t *testing.T) {
	ss := newSetup(t, nil, "1m")
	for _, args := range [][]string{
		{"status", "-config", ss.config, "site"},
		{"rollback", "-config", ss.config, "-site", "site", "extra"},
		{"send", "-url", "http://127.0.0.1:1/hooks/site", "extra"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != 2 || !strings.Contains(errb.String(), "unexpected argument") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and \"unexpected argument\"", args, code, errb.String())
		}
	}
}

// rollback without -site is bad usage naming the missing flag, not a
// lookup of a site called "".
func TestRollbackRequiresSite(t *testing.T) {
	ss := newSetup(t, nil, "1m")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"rollback", "-config", ss.config}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "-site") {
		t.Fatalf("rollback without -site: exit %d, stderr %q; want 2 and a message naming -site", code, errb.String())
	}
}
