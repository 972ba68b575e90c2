package main

import "context"

func init() { register(20, "binfmt", "Foreign-architecture programs (binfmt_misc)", reportBinfmt) }

// reportBinfmt is a placeholder until issue #3 lands the binfmt package.
func reportBinfmt(ctx context.Context, s *Section) {
	s.Miss("not implemented yet (issue #3): this section will show whether binfmt_misc is mounted and enabled, the registered handlers, and which foreign architectures this host can run")
}
