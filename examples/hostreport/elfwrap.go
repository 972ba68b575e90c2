package main

import "context"

func init() { register(30, "elfwrap", "Dynamic loader and libraries", reportElfwrap) }

// reportElfwrap is a placeholder until issue #4 lands the elfwrap package.
func reportElfwrap(ctx context.Context, s *Section) {
	s.Miss("not implemented yet (issue #4): this section will show the default loader and whether it exists, ld.so.cache entries, nix-ld (NIX_LD, NIX_LD_LIBRARY_PATH), and how many executables on PATH have unresolved libraries")
}
