package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hostkit-dev/hostkit/elfwrap"
)

func init() { register(30, "elfwrap", "Dynamic loader and libraries", reportElfwrap) }

// elfwrapData is the section's --json payload.
type elfwrapData struct {
	Loader           string   `json:"loader"`
	LoaderExists     bool     `json:"loader_exists"`
	CacheEntries     int      `json:"cache_entries"`
	CacheFormat      string   `json:"cache_format,omitempty"`
	NixLD            string   `json:"nix_ld,omitempty"`
	NixLDLibraryPath string   `json:"nix_ld_library_path,omitempty"`
	PathExecutables  int      `json:"path_executables"`
	Unresolved       []string `json:"unresolved,omitempty"`
}

// reportElfwrap shows the default loader, the ld.so.cache, nix-ld's
// variables and how many programs on PATH have libraries that do not
// resolve (with the current LD_LIBRARY_PATH).
func reportElfwrap(ctx context.Context, s *Section) {
	var d elfwrapData
	plat := elfwrap.HostPlatform()
	d.Loader = plat.Loader
	if fi, err := os.Stat(plat.Loader); err == nil && fi.Mode().IsRegular() {
		d.LoaderExists = true
		s.Add("default loader", plat.Loader)
	} else {
		s.Addf("default loader", "%s (absent: %v)", plat.Loader, err)
	}
	if c, err := elfwrap.LoadCache("/etc/ld.so.cache"); err != nil {
		s.Miss("ld.so.cache: %v", err)
	} else {
		d.CacheEntries, d.CacheFormat = len(c.Entries), c.Format.String()
		s.Addf("ld.so.cache", "%d entries (%s)", len(c.Entries), c.Format)
	}
	nixLD, hasNixLD := os.LookupEnv("NIX_LD")
	nixPath, hasNixPath := os.LookupEnv("NIX_LD_LIBRARY_PATH")
	d.NixLD, d.NixLDLibraryPath = nixLD, nixPath
	switch {
	case hasNixLD || hasNixPath:
		s.Addf("nix-ld", "NIX_LD=%q NIX_LD_LIBRARY_PATH=%q", nixLD, nixPath)
	default:
		s.Add("nix-ld", "not configured (NIX_LD and NIX_LD_LIBRARY_PATH unset)")
	}
	r := &elfwrap.Resolver{LibraryPath: os.Getenv("LD_LIBRARY_PATH")}
	seen := map[string]bool{}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if ctx.Err() != nil {
				s.Miss("PATH scan stopped: %v", ctx.Err())
				s.Data = d
				return
			}
			p := filepath.Join(dir, e.Name())
			real, err := filepath.EvalSymlinks(p)
			if err != nil || seen[real] {
				continue
			}
			seen[real] = true
			fi, err := os.Stat(real)
			if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
				continue
			}
			info, err := elfwrap.Inspect(real)
			if err != nil || !info.Dynamic || info.Interp == "" {
				continue
			}
			d.PathExecutables++
			res, err := r.Resolve(ctx, p)
			if err != nil || len(res.Missing) > 0 {
				d.Unresolved = append(d.Unresolved, p)
			}
		}
	}
	sort.Strings(d.Unresolved)
	v := fmt.Sprintf("%d of %d dynamically linked programs on PATH", len(d.Unresolved), d.PathExecutables)
	if len(d.Unresolved) > 0 {
		show := d.Unresolved[:min(5, len(d.Unresolved))]
		v += ": " + strings.Join(show, ", ")
		if len(d.Unresolved) > len(show) {
			v += ", ..."
		}
	}
	s.Add("unresolved libraries", v)
	s.Data = d
}
