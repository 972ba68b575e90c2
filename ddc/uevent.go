package ddc

import (
	"bytes"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Uevent is a kernel object event as the kernel sends it on
// NETLINK_KOBJECT_UEVENT: "ACTION@DEVPATH" followed by KEY=VALUE pairs,
// each NUL-terminated.
type Uevent struct {
	Action    string
	DevPath   string
	Subsystem string
	Seqnum    uint64
	// Env holds every KEY=VALUE pair (ACTION, DEVPATH and SUBSYSTEM too).
	Env map[string]string
}

// UeventError describes a message that is not a well-formed kernel uevent.
type UeventError struct {
	Offset int
	Msg    string
}

// Error implements error.
func (e *UeventError) Error() string {
	return fmt.Sprintf("ddc: uevent: byte %d: %s", e.Offset, e.Msg)
}

// Unwrap makes errors.Is(err, ErrMalformed) hold.
func (e *UeventError) Unwrap() error { return ErrMalformed }

// ParseUevent parses one kernel uevent message. Messages from udev's
// monitor (which start with "libudev") are rejected: only the kernel's own
// format is accepted.
func ParseUevent(b []byte) (*Uevent, error) {
	if bytes.HasPrefix(b, []byte("libudev\x00")) {
		return nil, &UeventError{Msg: "udev monitor message, not a kernel uevent"}
	}
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		i = len(b)
	}
	head := string(b[:i])
	action, devpath, ok := strings.Cut(head, "@")
	if !ok || action == "" || devpath == "" {
		return nil, &UeventError{Msg: fmt.Sprintf("header %q is not ACTION@DEVPATH", clipStr(head))}
	}
	u := &Uevent{Action: action, DevPath: devpath, Env: map[string]string{}}
	off := i + 1
	for off < len(b) {
		j := bytes.IndexByte(b[off:], 0)
		end := off + j
		if j < 0 {
			end = len(b)
		}
		field := string(b[off:end])
		if field != "" {
			k, v, ok := strings.Cut(field, "=")
			if !ok || k == "" {
				return nil, &UeventError{Offset: off, Msg: fmt.Sprintf("field %q is not KEY=VALUE", clipStr(field))}
			}
			u.Env[k] = v
		}
		off = end + 1
	}
	if a, ok := u.Env["ACTION"]; ok && a != u.Action {
		return nil, &UeventError{Msg: fmt.Sprintf("ACTION=%q disagrees with header action %q", clipStr(a), clipStr(u.Action))}
	}
	if d, ok := u.Env["DEVPATH"]; ok && d != u.DevPath {
		return nil, &UeventError{Msg: fmt.Sprintf("DEVPATH=%q disagrees with header path %q", clipStr(d), clipStr(u.DevPath))}
	}
	u.Subsystem = u.Env["SUBSYSTEM"]
	if s, ok := u.Env["SEQNUM"]; ok {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return nil, &UeventError{Msg: fmt.Sprintf("SEQNUM=%q is not a number", clipStr(s))}
		}
		u.Seqnum = n
	}
	return u, nil
}

func clipStr(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// Event is a typed hotplug event: DisplayEvent, BusEvent or
// BacklightEvent.
type Event interface {
	// Raw returns the uevent the event came from.
	Raw() *Uevent
}

// DisplayEvent is a DRM event: a connector changed (HOTPLUG=1), or a card
// or connector appeared or went away.
type DisplayEvent struct {
	U *Uevent
	// Card is the DRM card device (card0), Connector the connector name
	// when the device path names one (card0-DP-1).
	Card, Connector string
	// Hotplug is set for HOTPLUG=1 change events; ConnectorID is the
	// kernel's connector id from CONNECTOR=, if given.
	Hotplug     bool
	ConnectorID string
}

// BusEvent is an I2C adapter (subsystem i2c) or i2c-dev node (subsystem
// i2c-dev) coming or going.
type BusEvent struct {
	U *Uevent
	// Bus is N of i2c-N.
	Bus int
}

// BacklightEvent is a backlight device coming, going or changing.
type BacklightEvent struct {
	U    *Uevent
	Name string
}

// Raw implements Event.
func (e DisplayEvent) Raw() *Uevent { return e.U }

// Raw implements Event.
func (e BusEvent) Raw() *Uevent { return e.U }

// Raw implements Event.
func (e BacklightEvent) Raw() *Uevent { return e.U }

// Classify turns a uevent of the drm, i2c, i2c-dev or backlight subsystem
// into a typed Event; it reports false for anything else.
func Classify(u *Uevent) (Event, bool) {
	base := path.Base(u.DevPath)
	switch u.Subsystem {
	case "drm":
		e := DisplayEvent{U: u, Hotplug: u.Env["HOTPLUG"] == "1", ConnectorID: u.Env["CONNECTOR"]}
		if strings.HasPrefix(base, "card") {
			if c, _, isConn := strings.Cut(base, "-"); isConn {
				e.Card, e.Connector = c, base
			} else {
				e.Card = base
			}
		}
		return e, true
	case "i2c", "i2c-dev":
		n, ok := busNumber(base)
		if !ok {
			return nil, false // a client device such as 5-0037
		}
		return BusEvent{U: u, Bus: n}, true
	case "backlight":
		return BacklightEvent{U: u, Name: base}, true
	}
	return nil, false
}
