package main

import "context"

func init() { register(40, "pkgconfig", "pkg-config", reportPkgconfig) }

// reportPkgconfig is a placeholder until issue #6 lands the pkgconfig package.
func reportPkgconfig(ctx context.Context, s *Section) {
	s.Miss("not implemented yet (issue #6): this section will show the default pkg-config search path, how many modules are installed, and any .pc file that fails to parse or has a broken Requires")
}
