package ddc

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The vectors of the reference sheet, checked by computation there.
func TestRequestVectors(t *testing.T) {
	for _, tc := range []struct {
		req  Request
		want string
	}{
		{GetVCPRequest{Code: 0x10}, "51 82 01 10 AC"},
		{GetVCPRequest{Code: 0x60}, "51 82 01 60 DC"},
		{SetVCPRequest{Code: 0x10, Value: 50}, "51 84 03 10 00 32 9A"},
		{SetVCPRequest{Code: 0xD6, Value: 4}, "51 84 03 D6 00 04 6A"},
		{SaveSettingsRequest{}, "51 81 0C B2"},
		{CapabilitiesRequest{Offset: 0}, "51 83 F3 00 00 4F"},
		{CapabilitiesRequest{Offset: 32}, "51 83 F3 00 20 6F"},
		{TimingRequest{}, "51 81 07 B9"},
	} {
		got, err := EncodeRequest(tc.req)
		if err != nil {
			t.Fatalf("%T: %v", tc.req, err)
		}
		if want := unhex(t, tc.want); string(got) != string(want) {
			t.Errorf("%#v: got % X, want %s", tc.req, got, tc.want)
		}
		back, err := DecodeRequest(got)
		if err != nil {
			t.Errorf("decode % X: %v", got, err)
		} else if !cmp.Equal(back, tc.req) {
			t.Errorf("decode % X = %#v, want %#v", got, back, tc.req)
		}
	}
}

func TestOtherRequests(t *testing.T) {
	// Checksums computed by hand: 0x6E ^ each byte.
	for _, tc := range []struct {
		req  Request
		want string
	}{
		{IdentificationRequest{}, "51 81 F1 4F"},
		{VCPResetRequest{}, "51 81 09 B7"},
		{TableReadRequest{Code: 0x73, Offset: 0}, "51 84 E2 73 00 00 " + chk(0x6E, 0x51, 0x84, 0xE2, 0x73)},
		{TableWriteRequest{Code: 0x73, Offset: 0x20, Data: []byte{1, 2}}, "51 86 E7 73 00 20 01 02 " + chk(0x6E, 0x51, 0x86, 0xE7, 0x73, 0x20, 1, 2)},
	} {
		got, err := EncodeRequest(tc.req)
		if err != nil {
			t.Fatal(err)
		}
		if want := unhex(t, tc.want); string(got) != string(want) {
			t.Errorf("%#v: got % X, want %s", tc.req, got, tc.want)
		}
		if back, err := DecodeRequest(got); err != nil || !cmp.Equal(back, tc.req) {
			t.Errorf("decode % X = %#v, %v", got, back, err)
		}
	}
	if _, err := EncodeRequest(TableWriteRequest{Data: make([]byte, 200)}); !errors.Is(err, ErrMalformed) {
		t.Errorf("oversized payload: %v, want ErrMalformed", err)
	}
}

func chk(bs ...byte) string {
	var c byte
	for _, b := range bs {
		c ^= b
	}
	return hex.EncodeToString([]byte{c})
}

func TestReplyVectors(t *testing.T) {
	r, err := DecodeReply(unhex(t, "6E 88 02 00 10 00 00 64 00 32 F2"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (VCPReply{Code: 0x10, Max: 100, Value: 50}); r != want {
		t.Errorf("got %#v, want %#v", r, want)
	}
	r, err = DecodeReply(unhex(t, "6E 88 02 01 10 00 00 00 00 00 A5"))
	if err != nil || r.(VCPReply).Result != 1 {
		t.Errorf("unsupported reply: %#v, %v", r, err)
	}
	enc, _ := EncodeReply(VCPReply{Code: 0x10, Max: 100, Value: 50})
	if got := hex.EncodeToString(enc); got != "6e880200100000640032f2" {
		t.Errorf("EncodeReply = %s", got)
	}
}

func TestReplyOddities(t *testing.T) {
	// The null message.
	r, err := DecodeReply(unhex(t, "6E 80 BE"))
	if err != nil || r != (NullReply{}) {
		t.Errorf("null message: %#v, %v", r, err)
	}
	// A null message inside a longer read (trailing bytes ignored).
	if r, err := DecodeReply(unhex(t, "6E 80 BE FF FF FF FF FF FF FF FF")); err != nil || r != (NullReply{}) {
		t.Errorf("null message with trailing bytes: %#v, %v", r, err)
	}
	// A doubled leading 0x6E.
	if r, err := DecodeReply(unhex(t, "6E 6E 88 02 00 10 00 00 64 00 32 F2")); err != nil || r.(VCPReply).Value != 50 {
		t.Errorf("doubled 0x6E: %#v, %v", r, err)
	}
	// All-zero reads.
	if _, err := DecodeReply(make([]byte, 11)); !errors.Is(err, ErrAllZero) {
		t.Errorf("all zero: %v", err)
	}
	// A bad checksum names the byte.
	_, err = DecodeReply(unhex(t, "6E 88 02 00 10 00 00 64 00 32 F3"))
	var pe *PacketError
	if !errors.As(err, &pe) || !errors.Is(err, ErrChecksum) || pe.Offset != 10 {
		t.Errorf("bad checksum: %v", err)
	}
	// Truncated: the length says more than was read.
	if _, err := DecodeReply(unhex(t, "6E 88 02 00 10")); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated: %v", err)
	}
	// Missing 0x80 length flag, wrong first byte.
	for _, s := range []string{"6E 08 02 00 10 00 00 64 00 32 F2", "6F 80 BE", "6E"} {
		if _, err := DecodeReply(unhex(t, s)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", s, err)
		}
	}
	// A Get VCP reply of the wrong length.
	bad, _ := EncodeReply(UnknownReply{Data: []byte{0x02, 0x00, 0x10}})
	if _, err := DecodeReply(bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("short VCP reply: %v", err)
	}
	// Capabilities fragment, timing reply in both forms, identification.
	frag, _ := EncodeReply(FragmentReply{Op: OpCapabilitiesReply, Offset: 32, Data: []byte("(prot")})
	if r, err := DecodeReply(frag); err != nil || !cmp.Equal(r, FragmentReply{Op: OpCapabilitiesReply, Offset: 32, Data: []byte("(prot")}) {
		t.Errorf("fragment: %#v, %v", r, err)
	}
	tm, _ := EncodeReply(TimingReply{Status: 3, HFreq: 6750, VFreq: 6000})
	if r, err := DecodeReply(tm); err != nil || r != (TimingReply{Status: 3, HFreq: 6750, VFreq: 6000}) {
		t.Errorf("timing: %#v, %v", r, err)
	}
	tm4e, _ := EncodeReply(UnknownReply{Data: []byte{0x4E, 0x06, 0x03, 0x1A, 0x5E, 0x17, 0x70}})
	if r, err := DecodeReply(tm4e); err != nil || r != (TimingReply{Status: 3, HFreq: 0x1A5E, VFreq: 0x1770}) {
		t.Errorf("timing with 4E prefix: %#v, %v", r, err)
	}
	id, _ := EncodeReply(IdentificationReply{Data: []byte{1, 2, 3}})
	if r, err := DecodeReply(id); err != nil || !cmp.Equal(r, IdentificationReply{Data: []byte{1, 2, 3}}) {
		t.Errorf("identification: %#v, %v", r, err)
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	for _, s := range []string{
		"51 80 " + chk(0x6E, 0x51, 0x80), // empty
		"51 81 01 " + chk(0x6E, 0x51, 0x81, 0x01),
		"51 81 55 " + chk(0x6E, 0x51, 0x81, 0x55),
		"50 82 01 10 AC",
		"51 82 01 10 AD",
	} {
		if _, err := DecodeRequest(unhex(t, s)); err == nil {
			t.Errorf("%s: no error", s)
		}
	}
}

func genRequest(t *rapid.T) Request {
	switch rapid.IntRange(0, 8).Draw(t, "kind") {
	case 0:
		return GetVCPRequest{Code: rapid.Byte().Draw(t, "code")}
	case 1:
		return SetVCPRequest{Code: rapid.Byte().Draw(t, "code"), Value: rapid.Uint16().Draw(t, "v")}
	case 2:
		return SaveSettingsRequest{}
	case 3:
		return CapabilitiesRequest{Offset: rapid.Uint16().Draw(t, "off")}
	case 4:
		return TableReadRequest{Code: rapid.Byte().Draw(t, "code"), Offset: rapid.Uint16().Draw(t, "off")}
	case 5:
		return TableWriteRequest{Code: rapid.Byte().Draw(t, "code"), Offset: rapid.Uint16().Draw(t, "off"),
			Data: rapid.SliceOfN(rapid.Byte(), 0, 32).Draw(t, "data")}
	case 6:
		return TimingRequest{}
	case 7:
		return IdentificationRequest{}
	}
	return VCPResetRequest{}
}

func genReply(t *rapid.T) Reply {
	switch rapid.IntRange(0, 4).Draw(t, "kind") {
	case 0:
		return NullReply{}
	case 1:
		return VCPReply{Result: rapid.ByteRange(0, 1).Draw(t, "res"), Code: rapid.Byte().Draw(t, "code"),
			Type: rapid.ByteRange(0, 1).Draw(t, "type"), Max: rapid.Uint16().Draw(t, "max"), Value: rapid.Uint16().Draw(t, "val")}
	case 2:
		op := rapid.SampledFrom([]Opcode{OpCapabilitiesReply, OpTableReadReply}).Draw(t, "op")
		return FragmentReply{Op: op, Offset: rapid.Uint16().Draw(t, "off"), Data: rapid.SliceOfN(rapid.Byte(), 0, 32).Draw(t, "data")}
	case 3:
		return TimingReply{Status: rapid.Byte().Draw(t, "st"), HFreq: rapid.Uint16().Draw(t, "h"), VFreq: rapid.Uint16().Draw(t, "v")}
	}
	return IdentificationReply{Data: rapid.SliceOfN(rapid.Byte(), 0, 40).Draw(t, "data")}
}

func norm(v any) any {
	switch r := v.(type) {
	case FragmentReply:
		if len(r.Data) == 0 {
			r.Data = nil
		}
		return r
	case IdentificationReply:
		if len(r.Data) == 0 {
			r.Data = nil
		}
		return r
	case TableWriteRequest:
		if len(r.Data) == 0 {
			r.Data = nil
		}
		return r
	}
	return v
}

func TestRequestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		req := genRequest(t)
		b, err := EncodeRequest(req)
		if err != nil {
			t.Fatal(err)
		}
		back, err := DecodeRequest(b)
		if err != nil {
			t.Fatalf("% X: %v", b, err)
		}
		if !cmp.Equal(norm(back), norm(req)) {
			t.Fatalf("round trip %#v -> % X -> %#v", req, b, back)
		}
	})
}

func TestReplyRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rep := genReply(t)
		b, err := EncodeReply(rep)
		if err != nil {
			t.Fatal(err)
		}
		// Displays pad fixed-size reads; a doubled 0x6E is tolerated.
		if rapid.Bool().Draw(t, "pad") {
			b = append(b, 0xFF, 0xFF, 0xFF)
		}
		if rapid.Bool().Draw(t, "double") {
			b = append([]byte{0x6E}, b...)
		}
		back, err := DecodeReply(b)
		if err != nil {
			t.Fatalf("% X: %v", b, err)
		}
		if !cmp.Equal(norm(back), norm(rep)) {
			t.Fatalf("round trip %#v -> % X -> %#v", rep, b, back)
		}
		// Any single-bit flip in the checksummed part is caught or yields
		// a different frame, never a panic.
		i := rapid.IntRange(0, len(b)-1).Draw(t, "flip")
		c := append([]byte(nil), b...)
		c[i] ^= 1 << rapid.IntRange(0, 7).Draw(t, "bit")
		_, _ = DecodeReply(c)
	})
}

func FuzzDecodeReply(f *testing.F) {
	for _, s := range []string{"6E 88 02 00 10 00 00 64 00 32 F2", "6E 80 BE", "6E 6E 80 BE", "00 00 00",
		"6E 88 02 01 10 00 00 00 00 00 A5", "6E A3 E3 00 00 28 70 72 6F 74"} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeReply(b)
		if err != nil {
			if r != nil {
				t.Fatalf("reply %#v with error %v", r, err)
			}
			return
		}
		// A decoded reply re-encodes to a frame that decodes the same.
		enc, err := EncodeReply(r)
		if err != nil {
			t.Fatalf("re-encode %#v: %v", r, err)
		}
		back, err := DecodeReply(enc)
		if err != nil || !cmp.Equal(norm(back), norm(r)) {
			t.Fatalf("%#v -> % X -> %#v, %v", r, enc, back, err)
		}
	})
}

func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{"51 82 01 10 AC", "51 84 03 10 00 32 9A", "51 81 0C B2", "51 83 F3 00 20 6F"} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			return
		}
		enc, err := EncodeRequest(r)
		if err != nil {
			t.Fatalf("re-encode %#v: %v", r, err)
		}
		if back, err := DecodeRequest(enc); err != nil || !cmp.Equal(norm(back), norm(r)) {
			t.Fatalf("%#v -> % X -> %#v, %v", r, enc, back, err)
		}
	})
}
