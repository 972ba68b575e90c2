// Command ddcctl controls external monitors over DDC/CI: brightness, input,
// power and every other MCCS feature, reads capabilities and EDID, drives
// the sysfs backlight class and watches monitor hotplug.
//
// Usage:
//
//	ddcctl [--bus N] [--sim] [--json] [--sleep-multiplier F] COMMAND [ARGS]
//
// Commands:
//
//	detect                      list displays (EDID, DDC/CI, MCCS version)
//	capabilities [--parse S|-]  read and parse the capabilities string, or parse S
//	getvcp CODE...              read features (hex code such as 10 or 0x10, or a name)
//	setvcp CODE VALUE|+N|-N     set a feature, or change it relative to its value
//	vcpinfo [CODE]              describe MCCS features
//	edid [--file PATH|-]        decode the EDID of a display or of a file (binary or hex)
//	backlight [get [NAME]|set NAME VALUE|+N|-N]   the /sys/class/backlight devices
//	watch [--all] [--count N]   print drm, i2c and backlight hotplug events
//
// When no I2C bus with a display is found (no i2c-dev, no permission, no
// monitor), ddcctl uses its built-in simulated monitor and says so; --sim
// selects it explicitly.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// globals are the flags every command accepts.
type globals struct {
	bus        int
	sim        bool
	json       bool
	multiplier float64
	sysRoot    string
	adaptive   bool
}

// register defines the global flags on fs with their current values as
// defaults, so a command's own flag set can accept them too.
func (g *globals) register(fs *flag.FlagSet) {
	fs.IntVar(&g.bus, "bus", g.bus, "use /dev/i2c-`N`")
	fs.BoolVar(&g.sim, "sim", g.sim, "use the built-in simulated monitor")
	fs.BoolVar(&g.json, "json", g.json, "print JSON")
	fs.Float64Var(&g.multiplier, "sleep-multiplier", g.multiplier, "scale the DDC/CI waits by `F`")
	fs.BoolVar(&g.adaptive, "adaptive", g.adaptive, "lower the waits while the display answers cleanly")
	fs.StringVar(&g.sysRoot, "sysfs", g.sysRoot, "sysfs mount `DIR` (for tests)")
}

const usage = `usage: ddcctl [--bus N] [--sim] [--json] [--sleep-multiplier F] COMMAND [ARGS]
commands: detect, capabilities, getvcp, setvcp, vcpinfo, edid, backlight, watch`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	g := globals{bus: -1, multiplier: 1, sysRoot: "/sys"}
	fs := flag.NewFlagSet("ddcctl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	fs.Usage = func() { fmt.Fprintln(stderr, usage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	c := &cli{g: g, stdout: stdout, stderr: stderr}
	var err error
	switch cmd {
	case "detect":
		err = c.detect(ctx, rest)
	case "capabilities", "caps":
		err = c.capabilities(ctx, rest)
	case "getvcp":
		err = c.getvcp(ctx, rest)
	case "setvcp":
		err = c.setvcp(ctx, rest)
	case "vcpinfo":
		err = c.vcpinfo(rest)
	case "edid":
		err = c.edid(ctx, rest)
	case "backlight":
		err = c.backlight(rest)
	case "watch":
		err = c.watch(ctx, rest)
	case "help":
		fmt.Fprintln(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "ddcctl: unknown command %q\n%s\n", cmd, usage)
		return 2
	}
	if err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "ddcctl %s: %v\n", cmd, err)
			return 2
		}
		fmt.Fprintf(stderr, "ddcctl %s: %v\n", cmd, err)
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }
