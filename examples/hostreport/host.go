package main

import (
	"context"
	"os"
	"runtime"
	"strings"
)

func init() { register(0, "host", "This host", reportHost) }

// reportHost gives the facts every other section builds on.
func reportHost(ctx context.Context, s *Section) {
	if h, err := os.Hostname(); err == nil {
		s.Add("hostname", h)
	}
	s.Addf("platform", "%s/%s", runtime.GOOS, runtime.GOARCH)
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		s.Add("kernel", strings.TrimSpace(string(b)))
	} else {
		s.Miss("kernel release: %v", err)
	}
	if name := osRelease("/etc/os-release"); name != "" {
		s.Add("distribution", name)
	}
	user := "unprivileged"
	if os.Geteuid() == 0 {
		user = "root"
	}
	s.Addf("running as", "uid %d (%s)", os.Geteuid(), user)
}

// osRelease returns PRETTY_NAME from an os-release file, or "".
func osRelease(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"'`)
		}
	}
	return ""
}
