package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runT(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := runEnv(context.Background(), append([]string{"pkgconf"}, args...), env, &out, &errb)
	return out.String(), errb.String(), code
}

func TestCommandLine(t *testing.T) {
	dir := fixtureDir(t)
	env := []string{"PKG_CONFIG_LIBDIR=" + dir}
	cases := []struct {
		args      []string
		out, errs string
		code      int
	}{
		{[]string{"--version"}, "1.8.1\n", "", 0},
		{[]string{"--bogus"}, "", "pkgconf: unknown option -- bogus\n", 1},
		{[]string{"--variable"}, "", "pkgconf: option requires an argument -- variable\n", 1},
		{[]string{"--modversion"}, "", "Please specify at least one package name on the command line.\n", 1},
		{[]string{"--modversion", "e"}, "1.0\n", "", 0},
		{[]string{"e", "--modv"}, "1.0\n", "", 0},
		{[]string{"--libs", "b"}, "-lb -lc -Wl,-O1 -L/l/d -ld -lz -pthread -le -lm \n", "", 0},
		{[]string{"--libs", "--static", "b"}, "-lb -lc -Wl,-O1 -lcpriv -L/l/d -lp -lpp -ld -lz -pthread -le -lm \n", "", 0},
		{[]string{"--cflags", "b"}, "-Wall -I/inc/b -DC -Wall -I/inc/c -DP -DB -DE \n", "", 0},
		{[]string{"--variable", "pcfiledir", "e"}, dir + "\n", "", 0},
		{[]string{"--define-variable=prefix=/x", "--cflags", "defvar"}, "-I/x/include -I/x/x \n", "", 0},
		{[]string{"--exists", "e", ">=", "2"}, "", "", 1},
		{[]string{"--atleast-version=0.5", "e"}, "", "", 0},
		{[]string{"--atleast-pkgconfig-version=9"}, "", "", 1},
		{[]string{"--short-errors", "--libs", "nothere"}, "", "Package 'nothere', required by 'virtual:world', not found\n", 1},
		{[]string{"--errors-to-stdout", "--libs", "nothere"}, "Package nothere was not found in the pkg-config search path.\nPerhaps you should add the directory containing `nothere.pc'\nto the PKG_CONFIG_PATH environment variable\nPackage 'nothere', required by 'virtual:world', not found\n", "", 1},
	}
	for _, c := range cases {
		out, errs, code := runT(t, env, c.args...)
		if out != c.out || errs != c.errs || code != c.code {
			t.Errorf("pkgconf %s:\n got  %q %q %d\n want %q %q %d", strings.Join(c.args, " "), out, errs, code, c.out, c.errs, c.code)
		}
	}
}

func TestListAllAndHelp(t *testing.T) {
	out, _, code := runT(t, []string{"PKG_CONFIG_LIBDIR=" + fixtureDir(t) + "/other"}, "--list-all")
	if code != 0 || !strings.HasPrefix(out, "real ") || !strings.HasSuffix(out, "real - target of a symlink\n") {
		t.Errorf("--list-all: %q %d", out, code)
	}
	out, _, code = runT(t, nil, "--help")
	if code != 0 || !strings.Contains(out, "--cflags") {
		t.Errorf("--help: %q %d", out, code)
	}
	out, _, _ = runT(t, nil, "--dump-personality")
	if !strings.HasPrefix(out, "Triplet: default\n") {
		t.Errorf("--dump-personality: %q", out)
	}
}

func TestRunUsesProcessEnvironment(t *testing.T) {
	t.Setenv("PKG_CONFIG_LIBDIR", fixtureDir(t))
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"pkgconf", "--modversion", "e"}, &out, &errb); code != 0 || out.String() != "1.0\n" {
		t.Fatalf("run: %d %q %q", code, out.String(), errb.String())
	}
}
