package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hostkit-dev/hostkit/mesonbuild/pkgconfig"
)

func init() { register(40, "pkgconfig", "pkg-config", reportPkgconfig) }

// pkgconfigData is the section's --json payload.
type pkgconfigData struct {
	SearchPath     []string          `json:"search_path"`
	Modules        int               `json:"modules"`
	ParseFailures  map[string]string `json:"parse_failures,omitempty"`
	BrokenRequires map[string]string `json:"broken_requires,omitempty"`
}

// reportPkgconfig shows the search path pkg-config uses here (from the
// environment, as pkgconf would), how many modules it finds, the .pc files
// it would skip and the modules whose Requires do not resolve.
func reportPkgconfig(ctx context.Context, s *Section) {
	c, err := pkgconfig.New(pkgconfig.Options{})
	if err != nil {
		s.Miss("cannot set up a pkg-config client: %v", err)
		return
	}
	data := pkgconfigData{SearchPath: c.SearchPath()}
	s.Data = &data
	if len(data.SearchPath) == 0 {
		s.Add("search path", "(empty: PKG_CONFIG_LIBDIR is set to nothing, or no default directory exists)")
	} else {
		s.Add("search path", strings.Join(data.SearchPath, "\n"))
	}
	// pkgconf skips a search entry that is not a directory; the client's
	// listing would open it, and a FIFO there blocks until a writer comes.
	// List with the environment's entries that are not directories left
	// out, and say which.
	if env, skipped := withoutNonDirectories(os.Environ()); len(skipped) > 0 {
		s.Miss("PKG_CONFIG_PATH/PKG_CONFIG_LIBDIR entries that are not directories, skipped as pkgconf does: %s", strings.Join(skipped, ", "))
		if c, err = pkgconfig.New(pkgconfig.Options{Env: env}); err != nil {
			s.Miss("cannot set up a pkg-config client: %v", err)
			return
		}
	}
	pkgs, bad := c.List()
	data.Modules = len(pkgs)
	s.Addf("modules", "%d", len(pkgs))
	if len(bad) > 0 {
		data.ParseFailures = map[string]string{}
		var lines []string
		for _, b := range bad {
			data.ParseFailures[b.Path] = b.Err.Error()
			lines = append(lines, fmt.Sprintf("%s: %v", b.Path, b.Err))
		}
		s.Add("unusable .pc files", strings.Join(lines, "\n"))
	}
	var broken []string
	for i, p := range pkgs {
		if ctx.Err() != nil {
			s.Miss("stopped checking Requires after %d of %d modules: %v", i, len(pkgs), ctx.Err())
			break
		}
		if err := c.Check(p.Path); err != nil {
			if data.BrokenRequires == nil {
				data.BrokenRequires = map[string]string{}
			}
			msg := err.Error()
			var re *pkgconfig.ResolveError
			if errors.As(err, &re) && len(re.Errs) > 0 {
				var parts []string
				for _, e := range re.Errs {
					parts = append(parts, e.Error())
				}
				msg = strings.Join(parts, "; ")
			}
			data.BrokenRequires[p.ID] = msg
			broken = append(broken, p.ID+": "+msg)
		}
	}
	if len(broken) > 0 {
		s.Add("broken Requires", strings.Join(broken, "\n"))
	} else if ctx.Err() == nil {
		s.Add("broken Requires", "none")
	}
}

// withoutNonDirectories returns env with the PKG_CONFIG_PATH and
// PKG_CONFIG_LIBDIR entries that exist but are not directories (a FIFO, a
// file, a device) removed, and those entries. A variable left empty stays
// set, so an emptied PKG_CONFIG_LIBDIR still replaces the default path.
func withoutNonDirectories(env []string) ([]string, []string) {
	var out, skipped []string
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if k != "PKG_CONFIG_PATH" && k != "PKG_CONFIG_LIBDIR" {
			out = append(out, kv)
			continue
		}
		var keep []string
		for _, d := range filepath.SplitList(v) {
			if fi, err := os.Stat(d); d != "" && err == nil && !fi.IsDir() {
				skipped = append(skipped, d)
				continue
			}
			keep = append(keep, d)
		}
		out = append(out, k+"="+strings.Join(keep, string(filepath.ListSeparator)))
	}
	return out, skipped
}
