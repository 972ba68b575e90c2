package ddc

import (
	"fmt"
)

// I2C addresses used by DDC/CI and E-DDC (7-bit form, as Linux uses them).
const (
	// AddrDDCCI is the DDC/CI address of the display (0x6E/0x6F in 8-bit form).
	AddrDDCCI = 0x37
	// AddrEDID is the EDID EEPROM address (0xA0/0xA1 in 8-bit form).
	AddrEDID = 0x50
	// AddrSegment is the E-DDC segment pointer (0x60 in 8-bit form).
	AddrSegment = 0x30
)

// Bytes of the DDC/CI framing.
const (
	// HostSource is the source address byte a host puts first in a request.
	HostSource = 0x51
	// DisplayWriteAddr is the display's 8-bit write address; it seeds the
	// request checksum and starts every reply.
	DisplayWriteAddr = 0x6E
	// VirtualHostAddr seeds the reply checksum.
	VirtualHostAddr = 0x50
	// MaxPayload is the largest payload a length byte can describe.
	MaxPayload = 0x7F
	// FragmentSize is the largest data part of a capabilities or table reply.
	FragmentSize = 32
	// MaxReplyLen is the most bytes a reply can take: address, length,
	// opcode, two offset bytes, 32 data bytes, checksum (ddcutil's 39).
	MaxReplyLen = 3 + 3 + FragmentSize + 1
)

// Opcode is the first payload byte of a DDC/CI message.
type Opcode byte

// DDC/CI opcodes.
const (
	OpGetVCP            Opcode = 0x01
	OpGetVCPReply       Opcode = 0x02
	OpSetVCP            Opcode = 0x03
	OpTimingReply       Opcode = 0x06
	OpTimingRequest     Opcode = 0x07
	OpVCPReset          Opcode = 0x09
	OpSaveSettings      Opcode = 0x0C
	OpSelfTestReply     Opcode = 0xA1
	OpSelfTestRequest   Opcode = 0xB1
	OpIDReply           Opcode = 0xE1
	OpTableRead         Opcode = 0xE2
	OpCapabilitiesReply Opcode = 0xE3
	OpTableReadReply    Opcode = 0xE4
	OpTableWrite        Opcode = 0xE7
	OpIDRequest         Opcode = 0xF1
	OpCapabilities      Opcode = 0xF3
	OpEnableAppReport   Opcode = 0xF5
)

var opNames = map[Opcode]string{
	OpGetVCP: "Get VCP", OpGetVCPReply: "Get VCP reply", OpSetVCP: "Set VCP",
	OpTimingReply: "Timing reply", OpTimingRequest: "Timing request", OpVCPReset: "VCP reset",
	OpSaveSettings: "Save current settings", OpSelfTestReply: "Self test reply",
	OpSelfTestRequest: "Self test request", OpIDReply: "Identification reply",
	OpTableRead: "Table read", OpCapabilitiesReply: "Capabilities reply",
	OpTableReadReply: "Table read reply", OpTableWrite: "Table write",
	OpIDRequest: "Identification request", OpCapabilities: "Capabilities request",
	OpEnableAppReport: "Enable application report",
}

// String describes the Opcode for people.
func (o Opcode) String() string {
	if n, ok := opNames[o]; ok {
		return fmt.Sprintf("%s (0x%02X)", n, byte(o))
	}
	return fmt.Sprintf("opcode 0x%02X", byte(o))
}

// Request is a message a host sends to a display.
type Request interface {
	// Payload returns the message payload: opcode and arguments, without
	// framing.
	Payload() []byte
	// WantsReply reports whether the display answers this request.
	WantsReply() bool
}

// GetVCPRequest asks for the current and maximum value of a VCP feature.
type GetVCPRequest struct{ Code byte }

// SetVCPRequest sets a VCP feature to a 16-bit value.
type SetVCPRequest struct {
	Code  byte
	Value uint16
}

// SaveSettingsRequest asks the display to store its current settings.
type SaveSettingsRequest struct{}

// CapabilitiesRequest asks for a fragment of the capabilities string.
type CapabilitiesRequest struct{ Offset uint16 }

// TableReadRequest asks for a fragment of a table-type VCP feature.
type TableReadRequest struct {
	Code   byte
	Offset uint16
}

// TableWriteRequest writes a fragment of a table-type VCP feature.
type TableWriteRequest struct {
	Code   byte
	Offset uint16
	Data   []byte
}

// TimingRequest asks for the display's timing report.
type TimingRequest struct{}

// IdentificationRequest asks for the display's identification data.
type IdentificationRequest struct{}

// VCPResetRequest asks the display to reset the VCP features (MCCS 2.x).
type VCPResetRequest struct{}

// Payload implements Request.
func (r GetVCPRequest) Payload() []byte { return []byte{byte(OpGetVCP), r.Code} }

// WantsReply implements Request.
func (GetVCPRequest) WantsReply() bool { return true }

// Payload implements Request.
func (r SetVCPRequest) Payload() []byte {
	return []byte{byte(OpSetVCP), r.Code, byte(r.Value >> 8), byte(r.Value)}
}

// WantsReply implements Request.
func (SetVCPRequest) WantsReply() bool { return false }

// Payload implements Request.
func (SaveSettingsRequest) Payload() []byte { return []byte{byte(OpSaveSettings)} }

// WantsReply implements Request.
func (SaveSettingsRequest) WantsReply() bool { return false }

// Payload implements Request.
func (r CapabilitiesRequest) Payload() []byte {
	return []byte{byte(OpCapabilities), byte(r.Offset >> 8), byte(r.Offset)}
}

// WantsReply implements Request.
func (CapabilitiesRequest) WantsReply() bool { return true }

// Payload implements Request.
func (r TableReadRequest) Payload() []byte {
	return []byte{byte(OpTableRead), r.Code, byte(r.Offset >> 8), byte(r.Offset)}
}

// WantsReply implements Request.
func (TableReadRequest) WantsReply() bool { return true }

// Payload implements Request.
func (r TableWriteRequest) Payload() []byte {
	p := []byte{byte(OpTableWrite), r.Code, byte(r.Offset >> 8), byte(r.Offset)}
	return append(p, r.Data...)
}

// WantsReply implements Request.
func (TableWriteRequest) WantsReply() bool { return false }

// Payload implements Request.
func (TimingRequest) Payload() []byte { return []byte{byte(OpTimingRequest)} }

// WantsReply implements Request.
func (TimingRequest) WantsReply() bool { return true }

// Payload implements Request.
func (IdentificationRequest) Payload() []byte { return []byte{byte(OpIDRequest)} }

// WantsReply implements Request.
func (IdentificationRequest) WantsReply() bool { return true }

// Payload implements Request.
func (VCPResetRequest) Payload() []byte { return []byte{byte(OpVCPReset)} }

// WantsReply implements Request.
func (VCPResetRequest) WantsReply() bool { return false }

// EncodeRequest frames a request as the bytes a host writes to I2C address
// 0x37: source 0x51, 0x80|length, payload, checksum (XOR of 0x6E and every
// byte before it).
func EncodeRequest(r Request) ([]byte, error) {
	return encodeFrame(HostSource, DisplayWriteAddr, r.Payload())
}

// EncodeReply frames a reply payload as a display sends it: 0x6E,
// 0x80|length, payload, checksum seeded with the virtual host address 0x50.
// Simulated displays use it.
func EncodeReply(r Reply) ([]byte, error) {
	return encodeFrame(DisplayWriteAddr, VirtualHostAddr, r.Payload())
}

func encodeFrame(first, seed byte, payload []byte) ([]byte, error) {
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("%w: payload of %d bytes exceeds the %d a length byte can hold", ErrMalformed, len(payload), MaxPayload)
	}
	out := make([]byte, 0, len(payload)+3)
	out = append(out, first, 0x80|byte(len(payload)))
	out = append(out, payload...)
	chk := seed
	for _, b := range out {
		chk ^= b
	}
	return append(out, chk), nil
}

// DecodeRequest parses a frame written by a host (as a display sees it).
func DecodeRequest(frame []byte) (Request, error) {
	payload, err := decodeFrame(frame, HostSource, DisplayWriteAddr)
	if err != nil {
		return nil, err
	}
	if len(payload) == 0 {
		return nil, malformed(frame, 1, "empty request (null message from host)")
	}
	need := func(n int) error {
		if len(payload) != n {
			return malformed(frame, 2, "%v needs %d payload bytes, got %d", Opcode(payload[0]), n, len(payload))
		}
		return nil
	}
	switch Opcode(payload[0]) {
	case OpGetVCP:
		if err := need(2); err != nil {
			return nil, err
		}
		return GetVCPRequest{Code: payload[1]}, nil
	case OpSetVCP:
		if err := need(4); err != nil {
			return nil, err
		}
		return SetVCPRequest{Code: payload[1], Value: be16(payload[2:])}, nil
	case OpSaveSettings:
		if err := need(1); err != nil {
			return nil, err
		}
		return SaveSettingsRequest{}, nil
	case OpCapabilities:
		if err := need(3); err != nil {
			return nil, err
		}
		return CapabilitiesRequest{Offset: be16(payload[1:])}, nil
	case OpTableRead:
		if err := need(4); err != nil {
			return nil, err
		}
		return TableReadRequest{Code: payload[1], Offset: be16(payload[2:])}, nil
	case OpTableWrite:
		if len(payload) < 4 {
			return nil, malformed(frame, 2, "table write needs at least 4 payload bytes, got %d", len(payload))
		}
		return TableWriteRequest{Code: payload[1], Offset: be16(payload[2:]), Data: append([]byte(nil), payload[4:]...)}, nil
	case OpTimingRequest:
		if err := need(1); err != nil {
			return nil, err
		}
		return TimingRequest{}, nil
	case OpIDRequest:
		if err := need(1); err != nil {
			return nil, err
		}
		return IdentificationRequest{}, nil
	case OpVCPReset:
		if err := need(1); err != nil {
			return nil, err
		}
		return VCPResetRequest{}, nil
	}
	return nil, malformed(frame, 2, "unknown request %v", Opcode(payload[0]))
}

// decodeFrame checks the first byte, length and checksum and returns the
// payload. Bytes after the checksum are ignored (reads are fixed-size).
func decodeFrame(frame []byte, first, seed byte) ([]byte, error) {
	if len(frame) < 3 {
		return nil, malformed(frame, len(frame), "frame of %d bytes is shorter than the 3-byte minimum", len(frame))
	}
	if frame[0] != first {
		return nil, malformed(frame, 0, "first byte 0x%02X, want 0x%02X", frame[0], first)
	}
	if frame[1]&0x80 == 0 {
		return nil, malformed(frame, 1, "length byte 0x%02X lacks the 0x80 flag", frame[1])
	}
	n := int(frame[1] & 0x7F)
	if len(frame) < n+3 {
		return nil, malformed(frame, len(frame), "length byte says %d payload bytes but only %d bytes follow it", n, len(frame)-2)
	}
	chk := seed
	for _, b := range frame[:n+2] {
		chk ^= b
	}
	if chk != frame[n+2] {
		return nil, &PacketError{Offset: n + 2, Frame: clip(frame[:n+3]), Kind: ErrChecksum,
			Msg: fmt.Sprintf("checksum 0x%02X, computed 0x%02X", frame[n+2], chk)}
	}
	return frame[2 : n+2], nil
}

func be16(b []byte) uint16 { return uint16(b[0])<<8 | uint16(b[1]) }

// Reply is a message a display sends to a host.
type Reply interface {
	// Payload returns the opcode and data, without framing.
	Payload() []byte
}

// NullReply is the null message: 6E 80 BE.
type NullReply struct{}

// Payload implements Reply.
func (NullReply) Payload() []byte { return nil }

// VCPReply answers a Get VCP request.
type VCPReply struct {
	// Result is 0 for success and 1 for "unsupported VCP code".
	Result byte
	// Code is the VCP code the reply is about.
	Code byte
	// Type is 0 for "set parameter" and 1 for "momentary".
	Type byte
	// Max is the maximum value (MH<<8|ML).
	Max uint16
	// Value is the current value (SH<<8|SL).
	Value uint16
}

// Payload implements Reply.
func (r VCPReply) Payload() []byte {
	return []byte{byte(OpGetVCPReply), r.Result, r.Code, r.Type,
		byte(r.Max >> 8), byte(r.Max), byte(r.Value >> 8), byte(r.Value)}
}

// Bytes returns the four value bytes MH ML SH SL, as non-continuous
// features with packed values use them.
func (r VCPReply) Bytes() (mh, ml, sh, sl byte) {
	return byte(r.Max >> 8), byte(r.Max), byte(r.Value >> 8), byte(r.Value)
}

// FragmentReply is one fragment of a capabilities string (opcode E3) or of a
// table read (opcode E4).
type FragmentReply struct {
	Op     Opcode
	Offset uint16
	Data   []byte
}

// Payload implements Reply.
func (r FragmentReply) Payload() []byte {
	p := []byte{byte(r.Op), byte(r.Offset >> 8), byte(r.Offset)}
	return append(p, r.Data...)
}

// TimingReply answers a timing request.
type TimingReply struct {
	// Status is the timing status byte (bit 7: out of range, bit 6:
	// unstable, bit 1: positive H sync, bit 0: positive V sync).
	Status byte
	// HFreq is the horizontal frequency in units of 10 Hz.
	HFreq uint16
	// VFreq is the vertical frequency in units of 0.01 Hz.
	VFreq uint16
}

// Payload implements Reply.
func (r TimingReply) Payload() []byte {
	return []byte{byte(OpTimingReply), r.Status, byte(r.HFreq >> 8), byte(r.HFreq), byte(r.VFreq >> 8), byte(r.VFreq)}
}

// IdentificationReply carries the display's identification data.
type IdentificationReply struct{ Data []byte }

// Payload implements Reply.
func (r IdentificationReply) Payload() []byte {
	return append([]byte{byte(OpIDReply)}, r.Data...)
}

// UnknownReply is a well-framed reply with an opcode this package does not
// decode.
type UnknownReply struct{ Data []byte }

// Payload implements Reply.
func (r UnknownReply) Payload() []byte { return append([]byte(nil), r.Data...) }

// DecodeReply parses bytes read from I2C address 0x37. It accepts the
// doubled leading 0x6E some displays send and ignores bytes after the
// checksum. A read of only zero bytes returns ErrAllZero; the null message
// returns NullReply and no error.
func DecodeReply(frame []byte) (Reply, error) {
	if allZero(frame) {
		return nil, fmt.Errorf("%w (%d bytes)", ErrAllZero, len(frame))
	}
	if len(frame) >= 2 && frame[0] == DisplayWriteAddr && frame[1] == DisplayWriteAddr {
		frame = frame[1:]
	}
	payload, err := decodeFrame(frame, DisplayWriteAddr, VirtualHostAddr)
	if err != nil {
		return nil, err
	}
	if len(payload) == 0 {
		return NullReply{}, nil
	}
	switch Opcode(payload[0]) {
	case OpGetVCPReply:
		if len(payload) != 8 {
			return nil, malformed(frame, 2, "Get VCP reply has %d payload bytes, want 8", len(payload))
		}
		return VCPReply{Result: payload[1], Code: payload[2], Type: payload[3],
			Max: be16(payload[4:]), Value: be16(payload[6:])}, nil
	case OpCapabilitiesReply, OpTableReadReply:
		if len(payload) < 3 {
			return nil, malformed(frame, 2, "%v has %d payload bytes, want at least 3", Opcode(payload[0]), len(payload))
		}
		if len(payload)-3 > FragmentSize {
			return nil, malformed(frame, 1, "%v carries %d data bytes, more than %d", Opcode(payload[0]), len(payload)-3, FragmentSize)
		}
		return FragmentReply{Op: Opcode(payload[0]), Offset: be16(payload[1:]), Data: append([]byte(nil), payload[3:]...)}, nil
	case OpTimingReply, 0x4E:
		p := payload
		if p[0] == 0x4E { // ddc-rs and some monitors prefix the timing opcode with 0x4E
			p = p[1:]
			if len(p) == 0 || Opcode(p[0]) != OpTimingReply {
				return UnknownReply{Data: append([]byte(nil), payload...)}, nil
			}
		}
		if len(p) != 6 {
			return nil, malformed(frame, 2, "timing reply has %d payload bytes, want 6", len(p))
		}
		return TimingReply{Status: p[1], HFreq: be16(p[2:]), VFreq: be16(p[4:])}, nil
	case OpIDReply:
		return IdentificationReply{Data: append([]byte(nil), payload[1:]...)}, nil
	}
	return UnknownReply{Data: append([]byte(nil), payload...)}, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// ReplyLen returns how many bytes to read from the display for the reply to
// r: 12 for Get VCP (the 11-byte reply and room for a doubled leading
// 0x6E), MaxReplyLen for fragments and other replies.
func ReplyLen(r Request) int {
	switch r.(type) {
	case GetVCPRequest:
		return 12
	}
	return MaxReplyLen
}
