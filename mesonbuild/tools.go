package mesonbuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// ErrToolNotFound is returned (wrapped) when meson, ninja or pkg-config is
// not installed.
var ErrToolNotFound = errors.New("tool not found")

// Tools are the programs a build runs: meson and ninja, with the versions
// they report. The zero value is not usable; call FindTools or fill in the
// paths and versions yourself.
type Tools struct {
	// Meson is the absolute path of the meson program.
	Meson string
	// MesonVersion is what `meson --version` printed.
	MesonVersion Version
	// Ninja is the absolute path of the ninja program.
	Ninja string
	// NinjaVersion is what `ninja --version` printed.
	NinjaVersion Version
}

// FindTools looks up meson and ninja (the MESON and NINJA environment
// variables name them explicitly, as meson's own NINJA does; otherwise
// PATH is searched) and asks each for its version.
func FindTools(ctx context.Context) (*Tools, error) {
	meson, err := findTool("MESON", "meson")
	if err != nil {
		return nil, err
	}
	ninja, err := findTool("NINJA", "ninja", "samu")
	if err != nil {
		return nil, err
	}
	mv, err := toolVersion(ctx, meson)
	if err != nil {
		return nil, err
	}
	nv, err := toolVersion(ctx, ninja)
	if err != nil {
		return nil, err
	}
	return &Tools{Meson: meson, MesonVersion: mv, Ninja: ninja, NinjaVersion: nv}, nil
}

// LocateTools finds meson and ninja like FindTools but runs neither: the
// versions are left zero. Chain.Run uses it, since asking meson for its
// version costs a Python start-up (0.1-0.3 s) that a chain with nothing
// to rebuild should not pay.
func LocateTools() (*Tools, error) {
	meson, err := findTool("MESON", "meson")
	if err != nil {
		return nil, err
	}
	ninja, err := findTool("NINJA", "ninja", "samu")
	if err != nil {
		return nil, err
	}
	return &Tools{Meson: meson, Ninja: ninja}, nil
}

func findTool(envName string, names ...string) (string, error) {
	if v := os.Getenv(envName); v != "" {
		p, err := exec.LookPath(v)
		if err != nil {
			return "", fmt.Errorf("mesonbuild: %s=%q: %w: %v", envName, v, ErrToolNotFound, err)
		}
		return p, nil
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("mesonbuild: %s: %w on PATH (Debian: apt-get install %s)", names[0], ErrToolNotFound, debianPackage(names[0]))
}

// debianPackage names the Debian package that provides a tool, for hints.
func debianPackage(tool string) string {
	switch tool {
	case "ninja", "samu":
		return "ninja-build"
	case "pkgconf", "pkg-config":
		return "pkgconf"
	}
	return tool
}

// toolVersion runs `prog --version` and parses the last line's version.
func toolVersion(ctx context.Context, prog string) (Version, error) {
	out, err := output(ctx, nil, prog, "--version")
	if err != nil {
		return Version{}, err
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	// pkg-config style "1.8.1"; some tools print "name 1.2.3".
	if f := strings.Fields(last); len(f) > 1 {
		last = f[len(f)-1]
	}
	v, err := ParseVersion(last)
	if err != nil {
		return Version{}, fmt.Errorf("mesonbuild: %s --version printed %q: %w", prog, strings.TrimSpace(out), err)
	}
	return v, nil
}

// output runs a short command and returns its standard output; a failure
// carries the command and its standard error.
func output(ctx context.Context, env []string, prog string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", fmt.Errorf("mesonbuild: %s %s: %w: %s", prog, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// PkgConfigInfo is what the pkg-config program reports about itself.
type PkgConfigInfo struct {
	// Program is the absolute path of the program asked.
	Program string
	// Version is its --version.
	Version Version
	// DefaultPath is its compiled-in search path (pc_path), the path used
	// when PKG_CONFIG_LIBDIR is unset.
	DefaultPath []string
}

// FindPkgConfig looks up the pkg-config program (program may be a name or a
// path; "" means the PKG_CONFIG environment variable, then pkgconf, then
// pkg-config on PATH) and asks it for its version and default search path
// (`--variable=pc_path pkg-config`).
func FindPkgConfig(ctx context.Context, program string) (*PkgConfigInfo, error) {
	var (
		prog string
		err  error
	)
	if program != "" {
		prog, err = exec.LookPath(program)
		if err != nil {
			return nil, fmt.Errorf("mesonbuild: pkg-config program %q: %w: %v", program, ErrToolNotFound, err)
		}
	} else if prog, err = findTool("PKG_CONFIG", "pkgconf", "pkg-config"); err != nil {
		return nil, err
	}
	v, err := toolVersion(ctx, prog)
	if err != nil {
		return nil, err
	}
	// PKG_CONFIG_LIBDIR would change the answer; ask for the compiled-in path.
	env := withoutEnv(os.Environ(), "PKG_CONFIG_LIBDIR", "PKG_CONFIG_PATH")
	out, err := output(ctx, env, prog, "--variable=pc_path", "pkg-config")
	if err != nil {
		return nil, err
	}
	return &PkgConfigInfo{Program: prog, Version: v, DefaultPath: SplitPathList(strings.TrimSpace(out))}, nil
}

// DefaultLibdir returns the libdir meson uses by default on this host,
// relative to the prefix: "lib/<multiarch>" on Debian and its derivatives
// (meson asks dpkg-architecture, so --prefix=P installs .pc files into
// P/lib/x86_64-linux-gnu/pkgconfig), "lib64" on hosts with /usr/lib64 that
// are not Debian, else "lib".
func DefaultLibdir(ctx context.Context) string {
	if p, err := exec.LookPath("dpkg-architecture"); err == nil {
		if out, err := output(ctx, nil, p, "-qDEB_HOST_MULTIARCH"); err == nil {
			if ma := strings.TrimSpace(out); ma != "" && !strings.ContainsAny(ma, "/ \n") {
				return "lib/" + ma
			}
		}
	}
	if fi, err := os.Stat("/usr/lib64"); err == nil && fi.IsDir() {
		if l, err := os.Readlink("/usr/lib64"); err != nil || l == "" {
			return "lib64"
		}
	}
	return "lib"
}

// SplitPathList splits a colon-separated search path, dropping empty
// elements.
func SplitPathList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ":") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}
