package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/hostkit-dev/hostkit/ddc"
	"github.com/hostkit-dev/hostkit/ddc/ddctest"
)

func init() { register(10, "ddc", "Monitors and backlights", reportDdc) }

type ddcReport struct {
	Buses      []ddcBus        `json:"buses"`
	Backlights []ddc.Backlight `json:"backlights"`
	Simulated  *ddcSimRound    `json:"simulated_round_trip,omitempty"`
}

type ddcBus struct {
	Device    string `json:"device"`
	Name      string `json:"name"`
	Connector string `json:"connector,omitempty"`
	Status    string `json:"status,omitempty"`
	Display   string `json:"display,omitempty"`
	Unsafe    string `json:"unsafe,omitempty"`
	Open      string `json:"open"`
}

type ddcSimRound struct {
	Feature string        `json:"feature"`
	Value   string        `json:"value"`
	Elapsed time.Duration `json:"elapsed_ns"`
	Spec    time.Duration `json:"spec_minimum_ns"`
}

// reportDdc lists I2C buses and the displays the kernel saw on them, the
// backlight devices, and, when no display bus can be used, a round trip
// to the simulated monitor at DDC/CI spec timing. It never talks DDC/CI to
// real hardware (that takes tens of milliseconds per bus and can upset
// badly behaved displays): it reads sysfs and opens device nodes only.
func reportDdc(ctx context.Context, s *Section) {
	data := &ddcReport{}
	s.Data = data
	usable := 0
	buses, err := ddc.ListBuses("/sys")
	if err != nil {
		s.Miss("i2c buses: %v", err)
	} else {
		s.Addf("i2c buses", "%d", len(buses))
		if _, err := os.Stat("/sys/class/i2c-dev"); err != nil && len(buses) > 0 {
			s.Miss("/dev/i2c-N: the i2c-dev module is not loaded (modprobe i2c-dev)")
		}
		for _, b := range buses {
			rb := ddcBus{Device: b.Device, Name: b.Name, Connector: b.Connector, Status: b.ConnectorStatus, Unsafe: b.UnsafeReason}
			if len(b.EDID) > 0 {
				// A checksum error still yields the decoded fields.
				if e, _ := ddc.ParseEDID(b.EDID); e != nil {
					rb.Display = e.String()
				}
			}
			bus, err := ddc.OpenI2C(b.Number)
			switch {
			case err == nil:
				rb.Open = "ok"
				bus.Close()
				if !b.Unsafe && b.Connector != "" {
					usable++
				}
			case errors.Is(err, ddc.ErrPermission):
				rb.Open = "permission denied (udev rule or group i2c needed)"
			case errors.Is(err, ddc.ErrNoI2CDev):
				rb.Open = "no device node (i2c-dev not loaded)"
			default:
				rb.Open = err.Error()
			}
			data.Buses = append(data.Buses, rb)
			v := fmt.Sprintf("%s, open: %s", rb.Name, rb.Open)
			if rb.Connector != "" {
				v += fmt.Sprintf(", connector %s (%s)", rb.Connector, rb.Status)
			}
			if rb.Display != "" {
				v += ", display " + rb.Display
			}
			if rb.Unsafe != "" {
				v += ", not probed: " + rb.Unsafe
			}
			s.Add(b.Device, v)
		}
	}
	bls, err := ddc.ListBacklights("/sys")
	switch {
	case err != nil:
		s.Miss("backlights: %v", err)
	case len(bls) == 0:
		s.Add("backlights", "none in /sys/class/backlight")
	}
	data.Backlights = bls
	for _, b := range bls {
		s.Addf("backlight "+b.Name, "%d of %d (%d%%), type %s", b.Brightness, b.Max, b.Percent(), b.Type)
	}
	if usable > 0 {
		return
	}
	// No usable hardware: show what a round trip costs on the simulator.
	m := ddctest.New(ddctest.Config{Name: "hostreport-sim", BitRate: 100000})
	sess := ddc.NewSession(m, nil)
	start := time.Now()
	r, err := sess.GetVCP(ctx, 0x10)
	el := time.Since(start)
	if err != nil {
		s.Miss("simulated monitor round trip: %v", err)
		return
	}
	f, _ := ddc.LookupFeature(0x10, ddc.Version{})
	spec := ddc.SpecTiming.ReplyDelay + m.TransferTime(5) + m.TransferTime(12)
	data.Simulated = &ddcSimRound{Feature: "10 " + f.Name, Value: f.FormatValue(r), Elapsed: el, Spec: spec}
	s.Addf("simulated monitor", "no usable display bus, so a simulated monitor answered: Get VCP 0x10 (%s) = %s in %v (spec minimum %v)",
		f.Name, f.FormatValue(r), el.Round(100*time.Microsecond), spec.Round(100*time.Microsecond))
}
