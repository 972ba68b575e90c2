// Package testenv gates hostkit's integration tests on the real components they
// drive (a tool on PATH, root, a user namespace, a Debian package, a fetched
// foreign-architecture binary).
//
// On a developer's machine a missing component skips the test with a message
// that says what to install. When HOSTKIT_REQUIRE_INTEGRATION=1 (as in CI) the
// same condition fails the test instead, so a missing install step can never
// pass as a green run.
package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// RequireEnv is the environment variable that turns skips into failures.
const RequireEnv = "HOSTKIT_REQUIRE_INTEGRATION"

// ForeignEnv names the directory where .ci/run unpacks foreign-architecture
// Debian packages: <dir>/<debian-arch>/bin/busybox (busybox-static) for each
// architecture and <dir>/arm64-root, a root holding hello:arm64 and its libraries.
const ForeignEnv = "HOSTKIT_FOREIGN"

// DefaultForeignDir is used when HOSTKIT_FOREIGN is unset.
const DefaultForeignDir = "/var/cache/hostkit/foreign"

// IntegrationRequired reports whether integration tests must run
// (HOSTKIT_REQUIRE_INTEGRATION=1 or true).
func IntegrationRequired() bool {
	switch strings.ToLower(os.Getenv(RequireEnv)) {
	case "1", "true", "yes":
		return true
	}
	return false
}

// Unavailable reports that the test cannot run because something it needs is
// missing. It skips the test, or fails it when integration is required. The
// message should say what is missing and how to get it.
func Unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if IntegrationRequired() {
		t.Fatalf("%s=1 and a requirement is missing: %s", RequireEnv, msg)
		return
	}
	t.Skipf("skipped: %s (set %s=1 to make this a failure)", msg, RequireEnv)
}

// toolPackages maps the commands the tests use to the Debian package that
// provides them, for install hints.
var toolPackages = map[string]string{
	"patchelf":            "patchelf",
	"lddtree":             "pax-utils python3-pyelftools",
	"readelf":             "binutils",
	"gcc":                 "gcc",
	"cc":                  "gcc",
	"pkgconf":             "pkgconf",
	"pkg-config":          "pkgconf",
	"meson":               "meson",
	"ninja":               "ninja-build",
	"nginx":               "nginx",
	"edid-decode":         "edid-decode",
	"git":                 "git",
	"python3":             "python3 python3-venv python3-dev",
	"qemu-aarch64-static": "qemu-user-static",
	"qemu-s390x-static":   "qemu-user-static",
	"qemu-ppc64le-static": "qemu-user-static",
	"qemu-arm-static":     "qemu-user-static",
	"unshare":             "util-linux",
	"ldconfig":            "libc-bin",
	"wrk":                 "wrk",
	"webhook":             "webhook",
	"lego":                "lego",
	"bash":                "bash",
	"ip":                  "iproute2",
	"dpkg-query":          "dpkg",
}

// goTools maps commands installed with `go install` to their install path.
var goTools = map[string]string{
	"pebble":              "github.com/letsencrypt/pebble/v2/cmd/pebble@v2.10.1",
	"pebble-challtestsrv": "github.com/letsencrypt/pebble/v2/cmd/pebble-challtestsrv@v2.10.1",
}

// InstallHint returns the command that installs the named tool on Debian, or
// a generic hint for a tool this package does not know.
func InstallHint(tool string) string {
	if p, ok := toolPackages[tool]; ok {
		return "apt-get install " + p
	}
	if p, ok := goTools[tool]; ok {
		return "go install " + p
	}
	return "install " + tool + " and put it on PATH"
}

// LookTool finds a command on PATH and, for `go install`ed tools, in
// $GOPATH/bin as well. It returns "" when the tool is not found.
func LookTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if _, ok := goTools[name]; ok {
		for _, dir := range goBinDirs() {
			p := filepath.Join(dir, name)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
				return p
			}
		}
	}
	return ""
}

func goBinDirs() []string {
	var dirs []string
	if d := os.Getenv("GOBIN"); d != "" {
		dirs = append(dirs, d)
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		for _, d := range filepath.SplitList(gp) {
			dirs = append(dirs, filepath.Join(d, "bin"))
		}
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	return dirs
}

// RequireTool returns the absolute path of the named command, or marks the
// test unavailable with an install hint.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p := LookTool(name)
	if p == "" {
		Unavailable(t, "%s not found on PATH; %s", name, InstallHint(name))
	}
	return p
}

// RequireRoot marks the test unavailable unless it runs with uid 0.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Unavailable(t, "this test needs root (uid 0); run it with sudo or in a root container")
	}
}

// RequireLinux marks the test unavailable on other systems.
func RequireLinux(t testing.TB) {
	t.Helper()
	if runtime.GOOS != "linux" {
		Unavailable(t, "this test needs Linux, not %s", runtime.GOOS)
	}
}

var (
	usernsOnce sync.Once
	usernsErr  error
)

// UserNamespaceError reports why this process cannot create a user
// namespace, or nil when it can. The answer is computed once.
func UserNamespaceError() error {
	usernsOnce.Do(func() {
		if runtime.GOOS != "linux" {
			usernsErr = fmt.Errorf("user namespaces need Linux, not %s", runtime.GOOS)
			return
		}
		self, err := os.Executable()
		if err != nil {
			usernsErr = err
			return
		}
		// Run a harmless program in a new user namespace: the test binary
		// itself, asked only for its flags' help would print; /bin/true is
		// not always there. Any exit counts; a clone failure is what we test.
		cmd := exec.Command(self, "-test.run=^$", "-test.count=1")
		cmd.Env = append(os.Environ(), RequireEnv+"=0")
		cmd.SysProcAttr = userNSAttr()
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			usernsErr = fmt.Errorf("cannot create a user namespace: %w "+
				"(check /proc/sys/user/max_user_namespaces and kernel.unprivileged_userns_clone)", err)
			return
		}
		_ = cmd.Wait()
	})
	return usernsErr
}

// RequireUserNamespace marks the test unavailable unless the process can
// create a new user namespace (and with it mount namespaces of its own).
func RequireUserNamespace(t testing.TB) {
	t.Helper()
	if err := UserNamespaceError(); err != nil {
		Unavailable(t, "%v", err)
	}
}

// RequireKernel marks the test unavailable unless the running kernel is at
// least major.minor (for example binfmt_misc per user namespace needs 6.7).
func RequireKernel(t testing.TB, major, minor int) {
	t.Helper()
	maj, min, err := KernelVersion()
	if err != nil {
		Unavailable(t, "cannot read the kernel version: %v", err)
		return
	}
	if maj < major || (maj == major && min < minor) {
		Unavailable(t, "this test needs Linux %d.%d or later; this kernel is %d.%d", major, minor, maj, min)
	}
}

// KernelVersion returns the running kernel's major and minor version.
func KernelVersion() (major, minor int, err error) {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return 0, 0, err
	}
	return parseKernelVersion(strings.TrimSpace(string(b)))
}

func parseKernelVersion(s string) (major, minor int, err error) {
	if _, err := fmt.Sscanf(s, "%d.%d", &major, &minor); err != nil {
		return 0, 0, fmt.Errorf("kernel release %q: want MAJOR.MINOR...: %w", s, err)
	}
	return major, minor, nil
}

// DebianPackageInstalled reports whether dpkg says the package is installed
// (for any architecture). What counts is dpkg's status word, not the
// selection: a package on hold ("hold ok installed") is installed, and so is
// one that is configured but has triggers pending or awaited, as dpkg itself
// counts them when it checks dependencies.
func DebianPackageInstalled(pkg string) bool {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Status}\n", pkg).Output()
	if err != nil {
		return false
	}
	// One line per installed or known instance: "WANT FLAG STATUS".
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[1] != "ok" {
			continue
		}
		switch f[2] {
		case "installed", "triggers-pending", "triggers-awaited":
			return true
		}
	}
	return false
}

// RequireDebianPackage marks the test unavailable unless the Debian package
// is installed.
func RequireDebianPackage(t testing.TB, pkg string) {
	t.Helper()
	if !DebianPackageInstalled(pkg) {
		Unavailable(t, "Debian package %s is not installed; apt-get install %s", pkg, pkg)
	}
}

// RequireFile returns path when it exists, or marks the test unavailable
// with the given hint on how to get it.
func RequireFile(t testing.TB, path, hint string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Unavailable(t, "%s is missing (%v); %s", path, err, hint)
	}
	return path
}

// ForeignDir returns the directory that holds the foreign-architecture files
// fetched by .ci/run (see ForeignEnv).
func ForeignDir() string {
	if d := os.Getenv(ForeignEnv); d != "" {
		return d
	}
	return DefaultForeignDir
}

// ForeignBusybox returns the path of the static busybox for a Debian
// architecture name (arm64, s390x, ppc64el, armhf), or marks the test
// unavailable with the commands that fetch it.
func ForeignBusybox(t testing.TB, debArch string) string {
	t.Helper()
	p := filepath.Join(ForeignDir(), debArch, "bin", "busybox")
	return RequireFile(t, p, fmt.Sprintf("dpkg --add-architecture %[1]s && apt-get update && "+
		"apt-get download busybox-static:%[1]s && dpkg-deb -x busybox-static_*_%[1]s.deb %[2]s/%[1]s",
		debArch, ForeignDir()))
}

// ForeignRoot returns a root directory holding the arm64 hello program
// (usr/bin/hello) and its libraries, or marks the test unavailable.
func ForeignRoot(t testing.TB) string {
	t.Helper()
	root := filepath.Join(ForeignDir(), "arm64-root")
	RequireFile(t, filepath.Join(root, "usr", "bin", "hello"),
		"run .ci/run's install step (apt-get download hello:arm64 libc6:arm64 libgcc-s1:arm64, then dpkg-deb -x each into "+root+")")
	return root
}

func userNSAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{
			{ContainerID: 0, HostID: os.Getuid(), Size: 1},
		},
		GidMappings: []syscall.SysProcIDMap{
			{ContainerID: 0, HostID: os.Getgid(), Size: 1},
		},
		GidMappingsEnableSetgroups: false,
	}
}
