package main

import "context"

func init() { register(10, "ddc", "Monitors and backlights", reportDdc) }

// reportDdc is a placeholder until issue #8 lands the ddc package.
func reportDdc(ctx context.Context, s *Section) {
	s.Miss("not implemented yet (issue #8): this section will show i2c buses and the displays on them (or why none: no i2c-dev, no permission), backlight devices, and a simulated monitor's round trip when there is no hardware")
}
