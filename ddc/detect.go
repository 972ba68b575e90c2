package ddc

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Display is what Detect found on one bus.
type Display struct {
	// Bus is the bus name.
	Bus string
	// EDID is the decoded EDID, or nil; EDIDRaw its bytes.
	EDID    *EDID
	EDIDRaw []byte
	// DDC reports whether the display answered DDC/CI.
	DDC bool
	// MCCSVersion is the VCP version (feature 0xDF) when the display gave
	// it.
	MCCSVersion Version
	// Err is what went wrong, if anything (no EDID, no DDC/CI answer).
	Err error
}

// Detect probes every bus in parallel: it reads the EDID and asks for the
// MCCS version (VCP 0xDF). Buses are independent wires, so detecting four
// displays takes about as long as detecting one.
func Detect(ctx context.Context, buses []Bus, opts *Options) []Display {
	out := make([]Display, len(buses))
	var wg sync.WaitGroup
	for i, b := range buses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = DetectOne(ctx, b, opts)
		}()
	}
	wg.Wait()
	return out
}

// DetectOne probes one bus as Detect does.
func DetectOne(ctx context.Context, bus Bus, opts *Options) Display {
	d := Display{Bus: bus.Name()}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Retries.WriteRead == 0 {
		o.Retries.WriteRead = 3
	}
	s := NewSession(bus, &o)
	raw, err := s.ReadEDID(ctx)
	if err == nil {
		d.EDIDRaw = raw
		d.EDID, err = ParseEDID(raw)
		if err != nil && d.EDID == nil {
			d.Err = err
		}
		if d.EDID != nil && o.AdaptiveKey == "" {
			o.AdaptiveKey = fmt.Sprintf("%s:%04X:%d", d.EDID.Manufacturer, d.EDID.ProductCode, d.EDID.SerialNumber)
			s = NewSession(bus, &o)
		}
	} else {
		d.Err = err
	}
	r, err := s.GetVCP(ctx, 0xDF)
	switch {
	case err == nil:
		d.DDC = true
		d.MCCSVersion = Version{byte(r.Value >> 8), byte(r.Value)}
	case errors.Is(err, ErrUnsupported):
		d.DDC = true // answered, just without a version
	case errors.Is(err, ErrNullReply):
		// Only null messages: a well-formed DDC/CI answer, the way some
		// displays say "unsupported" (ddcutil too counts it as working
		// communication).
		d.DDC = true
	default:
		d.Err = errors.Join(d.Err, err)
	}
	return d
}
