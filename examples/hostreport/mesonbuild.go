package main

import "context"

func init() { register(50, "mesonbuild", "Meson builds", reportMesonbuild) }

// reportMesonbuild is a placeholder until issue #7 lands the mesonbuild package.
func reportMesonbuild(ctx context.Context, s *Section) {
	s.Miss("not implemented yet (issue #7): this section will show meson, ninja and pkg-config versions, and the libdir layout a build chain here has to know")
}
