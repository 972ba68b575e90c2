package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/hostkit-dev/hostkit/mesonbuild"
)

func init() { register(50, "mesonbuild", "Meson builds", reportMesonbuild) }

// mesonbuildData is the section's --json data.
type mesonbuildData struct {
	Meson         string   `json:"meson,omitempty"`
	MesonVersion  string   `json:"meson_version,omitempty"`
	Ninja         string   `json:"ninja,omitempty"`
	NinjaVersion  string   `json:"ninja_version,omitempty"`
	PkgConfig     string   `json:"pkg_config,omitempty"`
	PkgConfigVer  string   `json:"pkg_config_version,omitempty"`
	PkgConfigPath []string `json:"pkg_config_default_path,omitempty"`
	PCFiles       int      `json:"pc_files"`
	Libdir        string   `json:"libdir"`
	AppliesNewD   bool     `json:"meson_applies_new_D_on_configured_dir"`
	EnvPkgConfig  []string `json:"env,omitempty"`
}

// reportMesonbuild shows the tools a chain would run and what it has to
// know about this host: meson's libdir layout, pkg-config's default path.
func reportMesonbuild(ctx context.Context, s *Section) {
	var d mesonbuildData
	if t, err := mesonbuild.FindTools(ctx); err != nil {
		s.Miss("meson/ninja: %v", err)
	} else {
		d.Meson, d.MesonVersion, d.Ninja, d.NinjaVersion = t.Meson, t.MesonVersion.String(), t.Ninja, t.NinjaVersion.String()
		d.AppliesNewD = t.MesonVersion.AtLeast(1, 3, 0)
		s.Addf("meson", "%s (%s)", d.MesonVersion, d.Meson)
		s.Addf("ninja", "%s (%s)", d.NinjaVersion, d.Ninja)
		if d.AppliesNewD {
			s.Add("meson -D on a configured dir", "applied by `meson setup` (1.3+)")
		} else {
			s.Add("meson -D on a configured dir", "ignored by `meson setup` (before 1.3): a chain must use `meson configure`")
		}
	}
	if pc, err := mesonbuild.FindPkgConfig(ctx, ""); err != nil {
		s.Miss("pkg-config: %v", err)
	} else {
		d.PkgConfig, d.PkgConfigVer, d.PkgConfigPath = pc.Program, pc.Version.String(), pc.DefaultPath
		s.Addf("pkg-config", "%s (%s)", d.PkgConfigVer, d.PkgConfig)
		s.Add("pkg-config default path", strings.Join(pc.DefaultPath, "\n"))
		for _, dir := range pc.DefaultPath {
			m, _ := filepath.Glob(filepath.Join(dir, "*.pc"))
			d.PCFiles += len(m)
		}
		s.Addf(".pc files on that path", "%d", d.PCFiles)
	}
	d.Libdir = mesonbuild.DefaultLibdir(ctx)
	s.Addf("meson's default libdir", "%s: --prefix=P puts libraries in P/%s and .pc files in P/%s/pkgconfig", d.Libdir, d.Libdir, d.Libdir)
	for _, k := range []string{"PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR", "PKG_CONFIG_SYSROOT_DIR", "LD_LIBRARY_PATH"} {
		if v, ok := os.LookupEnv(k); ok {
			d.EnvPkgConfig = append(d.EnvPkgConfig, k+"="+v)
		}
	}
	if len(d.EnvPkgConfig) > 0 {
		s.Add("set in this environment", strings.Join(d.EnvPkgConfig, "\n"))
	} else {
		s.Add("set in this environment", "no PKG_CONFIG_PATH, PKG_CONFIG_LIBDIR, PKG_CONFIG_SYSROOT_DIR or LD_LIBRARY_PATH")
	}
	s.Data = d
}
