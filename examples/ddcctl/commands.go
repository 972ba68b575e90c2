package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/hostkit-dev/hostkit/ddc"
	"github.com/hostkit-dev/hostkit/ddc/ddctest"
)

// stdin is where "-" arguments read from (a variable for tests).
var stdin io.Reader = os.Stdin

type cli struct {
	g              globals
	stdout, stderr io.Writer
	simulated      bool
}

// subFlags returns a flag set for a command that also accepts the global
// flags after the command name.
func (c *cli) subFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("ddcctl "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	c.g.register(fs)
	return fs
}

// parse parses flags anywhere among the arguments ("setvcp 10 +5
// --verify"); "-N" numbers are arguments, not flags.
func (c *cli) parse(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
		for len(args) > 0 && isNegativeNumber(args[0]) {
			pos = append(pos, args[0])
			args = args[1:]
		}
	}
	return fs.Parse(append([]string{"--"}, pos...))
}

func isNegativeNumber(s string) bool {
	if len(s) < 2 || s[0] != '-' {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (c *cli) options() *ddc.Options {
	return &ddc.Options{SleepMultiplier: c.g.multiplier, Adaptive: c.g.adaptive}
}

func (c *cli) newSim(name string) ddc.Bus {
	c.simulated = true
	return ddctest.New(ddctest.Config{Name: name, Multiplier: c.g.multiplier})
}

// buses returns the buses to talk to: --sim, --bus N, or every safe bus
// with a connected display; the simulator when there is none.
func (c *cli) buses() ([]ddc.Bus, error) {
	if c.g.multiplier <= 0 {
		return nil, usagef("--sleep-multiplier must be positive")
	}
	if c.g.sim {
		return []ddc.Bus{c.newSim("sim-0")}, nil
	}
	if c.g.bus >= 0 {
		b, err := ddc.OpenI2C(c.g.bus)
		if err != nil {
			return nil, err
		}
		return []ddc.Bus{b}, nil
	}
	infos, err := ddc.ListBuses(c.g.sysRoot)
	reason := ""
	if err != nil {
		reason = err.Error()
	}
	var out []ddc.Bus
	var errs []string
	for _, bi := range infos {
		if bi.Unsafe || bi.Connector == "" || bi.ConnectorStatus == "disconnected" {
			continue
		}
		b, err := ddc.OpenI2C(bi.Number)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		out = append(out, b)
	}
	if len(out) > 0 {
		return out, nil
	}
	if reason == "" {
		reason = "no connected display bus in sysfs"
		if len(errs) > 0 {
			reason = strings.Join(errs, "; ")
		}
	}
	fmt.Fprintf(c.stderr, "ddcctl: no I2C display bus available (%s); using the built-in simulated monitor (--sim)\n", reason)
	return []ddc.Bus{c.newSim("sim-0")}, nil
}

func (c *cli) oneBus() (ddc.Bus, func(), error) {
	bs, err := c.buses()
	if err != nil {
		return nil, nil, err
	}
	for _, b := range bs[1:] {
		b.Close()
	}
	return bs[0], func() { bs[0].Close() }, nil
}

func closeAll(bs []ddc.Bus) {
	for _, b := range bs {
		b.Close()
	}
}

type displayJSON struct {
	Bus          string `json:"bus"`
	Simulated    bool   `json:"simulated"`
	Manufacturer string `json:"manufacturer,omitempty"`
	Product      string `json:"product,omitempty"`
	Name         string `json:"name,omitempty"`
	Serial       string `json:"serial,omitempty"`
	DDC          bool   `json:"ddc"`
	MCCSVersion  string `json:"mccs_version,omitempty"`
	Error        string `json:"error,omitempty"`
}

func (c *cli) detect(ctx context.Context, args []string) error {
	fs := c.subFlags("detect")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	bs, err := c.buses()
	if err != nil {
		return err
	}
	defer closeAll(bs)
	ds := ddc.Detect(ctx, bs, c.options())
	var out []displayJSON
	for _, d := range ds {
		j := displayJSON{Bus: d.Bus, Simulated: c.simulated, DDC: d.DDC}
		if d.EDID != nil {
			j.Manufacturer, j.Product, j.Name, j.Serial = d.EDID.Manufacturer, fmt.Sprintf("%04X", d.EDID.ProductCode), d.EDID.Name, d.EDID.SerialString
		}
		if d.DDC && d.MCCSVersion != (ddc.Version{}) {
			j.MCCSVersion = d.MCCSVersion.String()
		}
		if d.Err != nil {
			j.Error = d.Err.Error()
		}
		out = append(out, j)
	}
	if c.g.json {
		return c.printJSON(out)
	}
	for i, d := range out {
		sim := ""
		if d.Simulated {
			sim = " (simulated)"
		}
		fmt.Fprintf(c.stdout, "Display %d on %s%s\n", i+1, d.Bus, sim)
		if d.Manufacturer != "" {
			fmt.Fprintf(c.stdout, "  EDID:     %s %s %q serial %q\n", d.Manufacturer, d.Product, d.Name, d.Serial)
		}
		fmt.Fprintf(c.stdout, "  DDC/CI:   %v\n", d.DDC)
		if d.MCCSVersion != "" {
			fmt.Fprintf(c.stdout, "  MCCS:     %s\n", d.MCCSVersion)
		}
		if d.Error != "" {
			fmt.Fprintf(c.stdout, "  problem:  %s\n", d.Error)
		}
	}
	return nil
}

func (c *cli) capabilities(ctx context.Context, args []string) error {
	fs := c.subFlags("capabilities")
	parse := fs.String("parse", "", "parse `STRING` (or - for standard input) instead of reading a display")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	var raw string
	if *parse != "" {
		raw = *parse
		if raw == "-" {
			b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
			if err != nil {
				return err
			}
			raw = strings.TrimSpace(string(b))
		}
	} else {
		b, done, err := c.oneBus()
		if err != nil {
			return err
		}
		defer done()
		raw, err = ddc.NewSession(b, c.options()).CapabilitiesString(ctx)
		if err != nil {
			return err
		}
	}
	caps, err := ddc.ParseCapabilities(raw)
	if err != nil {
		return err
	}
	if c.g.json {
		return c.printJSON(caps)
	}
	fmt.Fprintf(c.stdout, "Raw: %s\n", caps.Raw)
	fmt.Fprintf(c.stdout, "Model: %s  Type: %s  MCCS: %s\n", caps.Model, caps.Type, caps.MCCSVersion)
	fmt.Fprintf(c.stdout, "Commands: % X\n", caps.Commands)
	fmt.Fprintln(c.stdout, "Features:")
	for _, v := range caps.VCP {
		f, _ := ddc.LookupFeature(v.Code, caps.MCCSVersion)
		name := f.Name
		if n := caps.FeatureNames[v.Code]; n != "" {
			name += " (" + n + ")"
		}
		fmt.Fprintf(c.stdout, "  %02X %s\n", v.Code, name)
		for _, x := range v.Values {
			vn := f.ValueName(x)
			if vn == "" {
				vn = "unrecognised value"
			}
			fmt.Fprintf(c.stdout, "       %02X: %s\n", x, vn)
		}
	}
	for _, w := range caps.Warnings {
		fmt.Fprintf(c.stdout, "Warning: %s\n", w)
	}
	return nil
}

// parseCode reads a feature code: hex ("10", "0x10") or a feature name.
func parseCode(s string) (byte, error) {
	t := strings.TrimPrefix(strings.ToLower(s), "0x")
	if v, err := strconv.ParseUint(t, 16, 8); err == nil && len(t) <= 2 {
		return byte(v), nil
	}
	if f, ok := ddc.FeatureByName(s, ddc.Version{}); ok {
		return f.Code, nil
	}
	return 0, usagef("%q is neither a hex feature code (00-FF) nor a unique feature name", s)
}

type vcpJSON struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	Value     uint16 `json:"value"`
	Max       uint16 `json:"max"`
	Formatted string `json:"formatted"`
	Error     string `json:"error,omitempty"`
}

func (c *cli) getvcp(ctx context.Context, args []string) error {
	fs := c.subFlags("getvcp")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("give one or more feature codes")
	}
	var codes []byte
	for _, a := range fs.Args() {
		code, err := parseCode(a)
		if err != nil {
			return err
		}
		codes = append(codes, code)
	}
	b, done, err := c.oneBus()
	if err != nil {
		return err
	}
	defer done()
	s := ddc.NewSession(b, c.options())
	var out []vcpJSON
	failed := 0
	for _, code := range codes {
		f, _ := ddc.LookupFeature(code, ddc.Version{})
		j := vcpJSON{Code: fmt.Sprintf("%02X", code), Name: f.Name}
		r, err := s.GetVCP(ctx, code)
		if err != nil {
			j.Error = err.Error()
			failed++
		} else {
			j.Value, j.Max, j.Formatted = r.Value, r.Max, f.FormatValue(r)
		}
		out = append(out, j)
	}
	if c.g.json {
		if err := c.printJSON(out); err != nil {
			return err
		}
	} else {
		for _, j := range out {
			if j.Error != "" {
				fmt.Fprintf(c.stdout, "VCP %s (%s): error: %s\n", j.Code, j.Name, j.Error)
				continue
			}
			fmt.Fprintf(c.stdout, "VCP %s (%s): %s\n", j.Code, j.Name, j.Formatted)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d features could not be read", failed, len(codes))
	}
	return nil
}

func (c *cli) setvcp(ctx context.Context, args []string) error {
	fs := c.subFlags("setvcp")
	verify := fs.Bool("verify", false, "read the value back")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usagef("give a feature code and a value (N, +N or -N)")
	}
	code, err := parseCode(fs.Arg(0))
	if err != nil {
		return err
	}
	vs := fs.Arg(1)
	relative := strings.HasPrefix(vs, "+") || strings.HasPrefix(vs, "-")
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimPrefix(vs, "0x"), "+"), 0, 32)
	if strings.HasPrefix(vs, "0x") {
		n, err = strconv.ParseInt(vs[2:], 16, 32)
	}
	if err != nil || (!relative && (n < 0 || n > 0xFFFF)) {
		return usagef("value %q is not 0-65535, +N or -N", vs)
	}
	b, done, err := c.oneBus()
	if err != nil {
		return err
	}
	defer done()
	s := ddc.NewSession(b, c.options())
	value := n
	var old ddc.VCPReply
	if relative {
		old, err = s.GetVCP(ctx, code)
		if err != nil {
			return err
		}
		value = int64(old.Value) + n
		if value < 0 {
			value = 0
		}
		if old.Max > 0 && value > int64(old.Max) {
			value = int64(old.Max)
		}
		if value > 0xFFFF { // no maximum given: the 16 bits a VCP value has
			value = 0xFFFF
		}
	}
	if *verify {
		err = s.SetVCPVerified(ctx, code, uint16(value))
	} else {
		err = s.SetVCP(ctx, code, uint16(value))
	}
	if err != nil {
		return err
	}
	if c.g.json {
		return c.printJSON(map[string]any{"code": fmt.Sprintf("%02X", code), "value": value, "verified": *verify, "simulated": c.simulated})
	}
	f, _ := ddc.LookupFeature(code, ddc.Version{})
	fmt.Fprintf(c.stdout, "VCP %02X (%s) set to %d\n", code, f.Name, value)
	return nil
}

type featureJSON struct {
	Code   string            `json:"code"`
	Name   string            `json:"name"`
	Kind   string            `json:"kind"`
	Access string            `json:"access"`
	Since  string            `json:"since,omitempty"`
	Values map[string]string `json:"values,omitempty"`
}

func (c *cli) vcpinfo(args []string) error {
	fs := c.subFlags("vcpinfo")
	ver := fs.String("mccs", "2.2", "MCCS `VERSION` (2.0, 2.1, 2.2, 3.0)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	var v ddc.Version
	if _, err := fmt.Sscanf(*ver, "%d.%d", &v.Major, &v.Minor); err != nil {
		return usagef("--mccs %q is not a version like 2.2", *ver)
	}
	var fsel []ddc.Feature
	if fs.NArg() > 0 {
		for _, a := range fs.Args() {
			code, err := parseCode(a)
			if err != nil {
				return err
			}
			f, _ := ddc.LookupFeature(code, v)
			fsel = append(fsel, f)
		}
	} else {
		fsel = ddc.Features(v)
	}
	var out []featureJSON
	for _, f := range fsel {
		j := featureJSON{Code: fmt.Sprintf("%02X", f.Code), Name: f.Name, Kind: f.Kind.String(), Access: f.Access.String()}
		if f.Since != (ddc.Version{}) {
			j.Since = f.Since.String()
		}
		if len(f.Values) > 0 {
			j.Values = map[string]string{}
			for k, n := range f.Values {
				j.Values[fmt.Sprintf("%02X", k)] = n
			}
		}
		out = append(out, j)
	}
	if c.g.json {
		return c.printJSON(out)
	}
	for _, j := range out {
		fmt.Fprintf(c.stdout, "%s  %-45s %-15s %s\n", j.Code, j.Name, j.Kind, j.Access)
		if fs.NArg() > 0 {
			for k := 0; k < 256; k++ {
				if n, ok := j.Values[fmt.Sprintf("%02X", k)]; ok {
					fmt.Fprintf(c.stdout, "      %02X: %s\n", k, n)
				}
			}
		}
	}
	return nil
}

// decodeBlob accepts a binary EDID or a hex dump (whitespace, 0x prefixes
// and edid-decode's "edid-decode (hex):" header are ignored).
func decodeBlob(b []byte) ([]byte, error) {
	if len(b) >= 8 && bytes.Equal(b[:8], []byte{0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0}) {
		return b, nil
	}
	s := string(b)
	if i := strings.Index(s, "----"); i >= 0 {
		s = s[:i]
	}
	s = strings.ReplaceAll(s, "edid-decode (hex):", "")
	s = strings.ReplaceAll(strings.ToLower(s), "0x", "")
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\t' || r == '\r' || r == ',' || r == ':' {
			return -1
		}
		return r
	}, s)
	out, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("input is neither a binary EDID nor a hex dump: %w", err)
	}
	return out, nil
}

func (c *cli) edid(ctx context.Context, args []string) error {
	fs := c.subFlags("edid")
	file := fs.String("file", "", "decode the EDID in `PATH` (binary or hex; - for standard input)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	var raw []byte
	source := ""
	switch *file {
	case "":
		b, done, err := c.oneBus()
		if err != nil {
			return err
		}
		defer done()
		raw, err = ddc.NewSession(b, c.options()).ReadEDID(ctx)
		if err != nil {
			return err
		}
		source = b.Name()
	default:
		var data []byte
		var err error
		if *file == "-" {
			data, err = io.ReadAll(io.LimitReader(stdin, 1<<20))
		} else {
			data, err = os.ReadFile(*file)
		}
		if err != nil {
			return err
		}
		if raw, err = decodeBlob(data); err != nil {
			return fmt.Errorf("%s: %w", *file, err)
		}
		source = *file
	}
	e, err := ddc.ParseEDID(raw)
	if e == nil {
		return fmt.Errorf("%s: %w", source, err)
	}
	if c.g.json {
		type out struct {
			Source string    `json:"source"`
			EDID   *ddc.EDID `json:"edid"`
			Error  string    `json:"error,omitempty"`
		}
		o := out{Source: source, EDID: e}
		if err != nil {
			o.Error = err.Error()
		}
		return c.printJSON(o)
	}
	w := c.stdout
	fmt.Fprintf(w, "Source:        %s\n", source)
	fmt.Fprintf(w, "Version:       %d.%d\n", e.Version, e.Revision)
	fmt.Fprintf(w, "Manufacturer:  %s  product %d (0x%04X)  serial %d\n", e.Manufacturer, e.ProductCode, e.ProductCode, e.SerialNumber)
	if e.ModelYear {
		fmt.Fprintf(w, "Model year:    %d\n", e.Year)
	} else {
		fmt.Fprintf(w, "Made:          week %d of %d\n", e.Week, e.Year)
	}
	fmt.Fprintf(w, "Name:          %s\n", e.Name)
	fmt.Fprintf(w, "Serial string: %s\n", e.SerialString)
	input := "analog"
	if e.Digital {
		input = "digital " + e.Interface
	}
	fmt.Fprintf(w, "Input:         %s\n", strings.TrimSpace(input))
	fmt.Fprintf(w, "Size:          %d x %d cm, gamma %.2f\n", e.WidthCM, e.HeightCM, e.Gamma)
	for i, t := range e.Detailed {
		fmt.Fprintf(w, "DTD %d:         %s (%d x %d mm)\n", i+1, t, t.WidthMM, t.HeightMM)
	}
	if r := e.Range; r != nil {
		fmt.Fprintf(w, "Range:         %d-%d Hz V, %d-%d kHz H, max %d MHz\n", r.MinVHz, r.MaxVHz, r.MinHKHz, r.MaxHKHz, r.MaxPixelClockMHz)
	}
	for _, x := range e.Extensions {
		fmt.Fprintf(w, "Extension:     %s\n", x.Name)
		if x.CTA != nil {
			for _, db := range x.CTA.DataBlocks {
				fmt.Fprintf(w, "  %s\n", db.Name)
			}
			for _, t := range x.CTA.Detailed {
				fmt.Fprintf(w, "  DTD: %s\n", t)
			}
		}
	}
	for _, s := range e.Warnings {
		fmt.Fprintf(w, "Warning:       %s\n", s)
	}
	if err != nil {
		fmt.Fprintf(w, "Error:         %v\n", err)
	}
	return nil
}

func (c *cli) backlight(args []string) error {
	fs := c.subFlags("backlight")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	op := "get"
	if fs.NArg() > 0 {
		op = fs.Arg(0)
	}
	switch op {
	case "get", "list":
		var bls []ddc.Backlight
		if fs.NArg() > 1 {
			// One device: read it alone, whatever state the others are in.
			b, err := ddc.ReadBacklight(c.g.sysRoot, fs.Arg(1))
			if err != nil {
				return err
			}
			bls = []ddc.Backlight{b}
		} else {
			var err error
			if bls, err = ddc.ListBacklights(c.g.sysRoot); err != nil {
				return err
			}
		}
		if c.g.json {
			if bls == nil {
				bls = []ddc.Backlight{}
			}
			return c.printJSON(bls)
		}
		if len(bls) == 0 {
			fmt.Fprintf(c.stdout, "no backlight devices in %s/class/backlight\n", c.g.sysRoot)
		}
		for _, b := range bls {
			fmt.Fprintf(c.stdout, "%s: %d of %d (%d%%), type %s, actual %d\n", b.Name, b.Brightness, b.Max, b.Percent(), b.Type, b.Actual)
		}
		return nil
	case "set":
		if fs.NArg() != 3 {
			return usagef("backlight set NAME VALUE|+N|-N")
		}
		name, vs := fs.Arg(1), fs.Arg(2)
		b, err := ddc.ReadBacklight(c.g.sysRoot, name)
		if err != nil {
			return err
		}
		relative := strings.HasPrefix(vs, "+") || strings.HasPrefix(vs, "-")
		n, err := strconv.Atoi(strings.TrimPrefix(vs, "+"))
		if err != nil && !(relative && errors.Is(err, strconv.ErrRange)) {
			return usagef("value %q is not a number, +N or -N", vs)
		}
		if relative {
			// Saturate: a step of any size ends at 0 or the maximum (Atoi
			// gave the nearest int for one out of range); the plain sum
			// could overflow and wrap to the other end.
			cur := min(max(b.Brightness, 0), b.Max)
			switch {
			case n > 0 && n > b.Max-cur:
				n = b.Max
			case n < 0 && n < -cur:
				n = 0
			default:
				n += cur
			}
		}
		if err := ddc.SetBacklight(c.g.sysRoot, name, n); err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "%s set to %d of %d\n", name, n, b.Max)
		return nil
	}
	return usagef("unknown backlight operation %q (get, set)", op)
}

func (c *cli) watch(ctx context.Context, args []string) error {
	fs := c.subFlags("watch")
	all := fs.Bool("all", false, "print events of every subsystem, not only drm, i2c and backlight")
	count := fs.Int("count", 0, "stop after `N` events (0: run until interrupted)")
	if err := c.parse(fs, args); err != nil {
		return err
	}
	w, err := ddc.WatchUevents()
	if err != nil {
		return err
	}
	defer w.Close()
	if !c.g.json {
		fmt.Fprintln(c.stderr, "ddcctl: watching kernel uevents; interrupt to stop")
	}
	for n := 0; *count == 0 || n < *count; n++ {
		var u *ddc.Uevent
		kind := "uevent"
		if *all {
			u, err = w.NextUevent(ctx)
		} else {
			var e ddc.Event
			e, err = w.Next(ctx)
			if err == nil {
				u = e.Raw()
				switch e.(type) {
				case ddc.DisplayEvent:
					kind = "display"
				case ddc.BusEvent:
					kind = "bus"
				case ddc.BacklightEvent:
					kind = "backlight"
				}
			}
		}
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		if c.g.json {
			if err := c.printJSON(map[string]any{"kind": kind, "action": u.Action, "devpath": u.DevPath, "subsystem": u.Subsystem, "seqnum": u.Seqnum, "env": u.Env}); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(c.stdout, "%-9s %-7s %s (%s)\n", kind, u.Action, u.DevPath, u.Subsystem)
	}
	return nil
}
