package ddc

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// kernelSys is fakeSys with the checks drivers/i2c/i2c-dev.c makes on an
// I2C_RDWR argument before any driver sees it: at most
// I2C_RDWR_IOCTL_MAX_MSGS (42) messages, none longer than 8192 bytes,
// both refused with EINVAL, the errno Nvidia's driver uses to refuse
// I2C_RDWR altogether.
type kernelSys struct{ *fakeSys }

func (k kernelSys) rdwr(fd int, msgs []Msg) error {
	if len(msgs) == 0 || len(msgs) > 42 {
		k.mu.Lock()
		k.log("rdwr EINVAL")
		k.mu.Unlock()
		return unix.EINVAL
	}
	for _, m := range msgs {
		if len(m.Buf) > 8192 {
			k.mu.Lock()
			k.log("rdwr EINVAL")
			k.mu.Unlock()
			return unix.EINVAL
		}
	}
	return k.fakeSys.rdwr(fd, msgs)
}

// TestI2CTransferKernelLimits: a transfer the kernel's i2c-dev refuses for
// its size is bad input, not a driver that cannot do I2C_RDWR. It must fail
// with an error naming the limit and leave the bus on I2C_RDWR: switching
// to the I2C_SLAVE fallback for good would split every later combined
// transaction (the E-DDC segment pointer and the EDID read) into separate
// ones.
func TestI2CTransferKernelLimits(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		msgs []Msg
		want string
	}{
		{"read of 8193 bytes", []Msg{{Addr: AddrEDID, Read: true, Buf: make([]byte, 8193)}}, "8192"},
		{"43 messages", make([]Msg, 43), "42"},
	} {
		fs := &fakeSys{}
		b, err := openI2C("/dev/i2c-9", kernelSys{fs}, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		for i := range tc.msgs {
			if tc.msgs[i].Buf == nil {
				tc.msgs[i] = Msg{Addr: AddrEDID, Buf: []byte{0}}
			}
		}
		err = b.Transfer(ctx, tc.msgs...)
		if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) || b.UsesFallback() {
			t.Errorf("%s: err %v, fallback %v, calls %s; want an ErrMalformed naming the limit %s and no fallback",
				tc.name, err, b.UsesFallback(), fs.trace(), tc.want)
		}
		// The bus still does combined transactions.
		if err := b.Transfer(ctx, Msg{Addr: AddrEDID, Buf: []byte{0}}, Msg{Addr: AddrEDID, Read: true, Buf: make([]byte, 128)}); err != nil || b.UsesFallback() {
			t.Errorf("%s: next transfer: %v, fallback %v", tc.name, err, b.UsesFallback())
		}
	}
}
