package main

import (
	"context"
	"errors"
	"fmt"
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
	for _, p := range pkgs {
		if ctx.Err() != nil {
			s.Miss("stopped checking Requires after %d modules: %v", len(pkgs), ctx.Err())
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
