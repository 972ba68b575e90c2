package ddc

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns that means one of these
// matches it with errors.Is.
var (
	// ErrNullReply means the display answered with the DDC/CI null message
	// (6E 80 BE): nothing to say yet, or, on some monitors, "unsupported".
	ErrNullReply = errors.New("ddc: display sent the null message")
	// ErrAllZero means every byte read from the display was zero: nobody
	// drove the bus, the display was not ready, or it ignores the command.
	ErrAllZero = errors.New("ddc: display reply was all zero bytes")
	// ErrUnsupported means the display said the feature or command is not
	// supported (result code 01, or the display's own way of saying so).
	ErrUnsupported = errors.New("ddc: feature not supported by the display")
	// ErrChecksum means a reply's checksum did not match its bytes.
	ErrChecksum = errors.New("ddc: bad checksum")
	// ErrMalformed means a frame could not be parsed (length, opcode,
	// addresses).
	ErrMalformed = errors.New("ddc: malformed packet")
	// ErrVerify means a value read back after a Set differed from the value
	// written.
	ErrVerify = errors.New("ddc: value read back differs from value written")
	// ErrNoDDC means no display answered on the DDC/CI address of a bus.
	ErrNoDDC = errors.New("ddc: no DDC/CI display on this bus")
	// ErrBusy means another driver or process holds the bus.
	ErrBusy = errors.New("ddc: bus is busy")
	// ErrPermission means the process may not open the bus or file.
	ErrPermission = errors.New("ddc: permission denied")
	// ErrNoI2CDev means the i2c-dev kernel module is not loaded, so there are
	// no /dev/i2c-N device nodes.
	ErrNoI2CDev = errors.New("ddc: i2c-dev module not loaded")
	// ErrNoDevice means no device acknowledged an I2C address (ENXIO on
	// Linux): no display on the bus, or none at that address.
	ErrNoDevice = errors.New("ddc: no device answered at this i2c address")
)

// PacketError describes a frame that could not be decoded: which byte was
// wrong and what was expected there.
type PacketError struct {
	// Offset is the byte offset in Frame where decoding failed.
	Offset int
	// Frame holds the bytes that were decoded (possibly truncated).
	Frame []byte
	// Msg says what was wrong.
	Msg string
	// Kind is ErrChecksum or ErrMalformed (errors.Is matches it).
	Kind error
}

// Error implements error.
func (e *PacketError) Error() string {
	return fmt.Sprintf("%v at byte %d: %s (frame % X)", e.Kind, e.Offset, e.Msg, e.Frame)
}

// Unwrap lets errors.Is match ErrChecksum or ErrMalformed.
func (e *PacketError) Unwrap() error { return e.Kind }

func malformed(frame []byte, off int, format string, args ...any) error {
	return &PacketError{Offset: off, Frame: clip(frame), Msg: fmt.Sprintf(format, args...), Kind: ErrMalformed}
}

func clip(b []byte) []byte {
	if len(b) > 48 {
		b = b[:48]
	}
	return append([]byte(nil), b...)
}

// FeatureError wraps a failure for one VCP feature on one bus.
type FeatureError struct {
	Bus  string
	Code byte
	Op   string
	Err  error
}

// Error implements error.
func (e *FeatureError) Error() string {
	return fmt.Sprintf("ddc: %s VCP 0x%02X on %s: %v", e.Op, e.Code, e.Bus, e.Err)
}

// Unwrap returns the underlying error.
func (e *FeatureError) Unwrap() error { return e.Err }

// BusError wraps a failure to open or use a bus, with advice on what to do.
type BusError struct {
	// Bus names the bus (for example /dev/i2c-5).
	Bus string
	// Op is what was attempted (open, ioctl I2C_RDWR, flock...).
	Op string
	// Err is the underlying error (an errno, or one of the sentinels).
	Err error
	// Hint says what a person can do about it, or is empty.
	Hint string
	// Kind is one of ErrBusy, ErrPermission, ErrNoI2CDev, ErrNoDevice,
	// ErrMalformed (a transfer the kernel would refuse), or nil.
	Kind error
}

// Error implements error.
func (e *BusError) Error() string {
	s := fmt.Sprintf("ddc: %s %s: %v", e.Op, e.Bus, e.Err)
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Unwrap returns the underlying error and the sentinel Kind, so both
// errors.Is(err, ErrBusy) and errors.Is(err, unix.EBUSY) hold.
func (e *BusError) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}
