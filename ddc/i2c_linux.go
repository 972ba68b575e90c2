package ddc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/u-root/u-root/pkg/kmodule"
	"golang.org/x/sys/unix"
)

// i2c-dev ioctl numbers and flags (linux/i2c-dev.h, linux/i2c.h).
const (
	ioctlI2CSlave      = 0x0703
	ioctlI2CSlaveForce = 0x0706
	ioctlI2CRdwr       = 0x0707
	i2cMsgRead         = 0x0001
	// i2cRdwrMaxMsgs is I2C_RDWR_IOCTL_MAX_MSGS and i2cMaxMsgLen the
	// largest message i2c-dev accepts; beyond either I2C_RDWR fails with
	// EINVAL (and plain read/write are cut to 8192 bytes).
	i2cRdwrMaxMsgs = 42
	i2cMaxMsgLen   = 8192
)

// i2cSys is the system-call boundary of the i2c-dev bus. The real one
// calls the kernel; tests use a fake.
type i2cSys interface {
	open(path string) (int, error)
	close(fd int) error
	rdwr(fd int, msgs []Msg) error
	setSlave(fd int, addr uint16) error
	read(fd int, p []byte) (int, error)
	write(fd int, p []byte) (int, error)
	flock(fd int, how int) error
}

type realSys struct{}

func (realSys) open(path string) (int, error) {
	return unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
}
func (realSys) close(fd int) error { return unix.Close(fd) }

// i2cMsg is struct i2c_msg: addr, flags, len, then the buffer pointer
// aligned to the word size.
type i2cMsg struct {
	addr, flags, len uint16
	_                uint16
	buf              uintptr
}

// i2cRdwrData is struct i2c_rdwr_ioctl_data.
type i2cRdwrData struct {
	msgs  uintptr
	nmsgs uint32
}

func (realSys) rdwr(fd int, msgs []Msg) error {
	if len(msgs) == 0 {
		return nil
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	km := make([]i2cMsg, len(msgs))
	for i, m := range msgs {
		if len(m.Buf) > 0xFFFF {
			return unix.EINVAL
		}
		km[i] = i2cMsg{addr: m.Addr, len: uint16(len(m.Buf))}
		if m.Read {
			km[i].flags = i2cMsgRead
		}
		if len(m.Buf) > 0 {
			pin.Pin(&m.Buf[0])
			km[i].buf = uintptr(unsafe.Pointer(&m.Buf[0]))
		}
	}
	pin.Pin(&km[0])
	data := i2cRdwrData{msgs: uintptr(unsafe.Pointer(&km[0])), nmsgs: uint32(len(km))}
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), ioctlI2CRdwr, uintptr(unsafe.Pointer(&data)))
	runtime.KeepAlive(msgs)
	if errno != 0 {
		return errno
	}
	return nil
}

func (realSys) setSlave(fd int, addr uint16) error {
	return unix.IoctlSetInt(fd, ioctlI2CSlave, int(addr))
}
func (realSys) read(fd int, p []byte) (int, error)  { return unix.Read(fd, p) }
func (realSys) write(fd int, p []byte) (int, error) { return unix.Write(fd, p) }
func (realSys) flock(fd int, how int) error         { return unix.Flock(fd, how) }

// I2CBus is a Linux i2c-dev bus (/dev/i2c-N). It implements Bus and
// ProcessLocker.
type I2CBus struct {
	path string
	sys  i2cSys

	mu       sync.Mutex
	fd       int
	fallback bool // I2C_RDWR refused: use I2C_SLAVE + read/write
	slave    int  // address set with I2C_SLAVE, -1 if none
	closed   bool
}

// OpenI2C opens /dev/i2c-n.
func OpenI2C(n int) (*I2CBus, error) {
	return OpenI2CPath(fmt.Sprintf("/dev/i2c-%d", n))
}

// OpenI2CPath opens an i2c-dev device node by path.
func OpenI2CPath(path string) (*I2CBus, error) {
	return openI2C(path, realSys{}, "/sys")
}

func openI2C(path string, sys i2cSys, sysRoot string) (*I2CBus, error) {
	fd, err := sys.open(path)
	if err != nil {
		return nil, openError(path, err, sysRoot)
	}
	return &I2CBus{path: path, sys: sys, fd: fd, slave: -1}, nil
}

// Hints shown with bus errors.
const (
	hintI2CDev = "the i2c-dev kernel module is not loaded: run `modprobe i2c-dev` as root (or call ddc.LoadI2CDev), and load it at boot with `echo i2c-dev > /etc/modules-load.d/i2c-dev.conf`"
	hintAccess = "no permission on the i2c device: add a udev rule such as `KERNEL==\"i2c-[0-9]*\", GROUP=\"i2c\", MODE=\"0660\"` (ddcutil ships 60-ddcutil-i2c.rules) and add your user to group i2c, or run as root"
	hintBusy   = "a kernel driver has claimed address 0x37 on this bus, usually ddcci (ddcci-driver-linux): use its /sys/class/backlight/ddcci* device, or unload it with `rmmod ddcci_backlight ddcci`"
)

func openError(path string, err error, sysRoot string) error {
	be := &BusError{Bus: path, Op: "open", Err: err}
	switch {
	case errors.Is(err, unix.ENOENT):
		if _, serr := os.Stat(filepath.Join(sysRoot, "class", "i2c-dev")); serr != nil {
			be.Kind, be.Hint = ErrNoI2CDev, hintI2CDev
		}
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		be.Kind, be.Hint = ErrPermission, hintAccess
	case errors.Is(err, unix.EBUSY):
		be.Kind, be.Hint = ErrBusy, hintBusy
	}
	return be
}

// Name implements Bus: the device path.
func (b *I2CBus) Name() string { return b.path }

// Close implements Bus.
func (b *I2CBus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	return b.sys.close(b.fd)
}

// UsesFallback reports whether the bus switched from I2C_RDWR to
// I2C_SLAVE plus read/write (as needed on Nvidia's proprietary driver).
func (b *I2CBus) UsesFallback() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fallback
}

// Transfer implements Bus with one I2C_RDWR ioctl. When the driver refuses
// I2C_RDWR with EINVAL (Nvidia), it switches for good to I2C_SLAVE plus
// plain read and write calls, one per message. A transaction of more than
// 42 messages, or a message over 8192 bytes, is refused with ErrMalformed
// (i2c-dev's limits).
func (b *I2CBus) Transfer(ctx context.Context, msgs ...Msg) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return &BusError{Bus: b.path, Op: "transfer", Err: os.ErrClosed}
	}
	// The kernel refuses oversized transfers with EINVAL, the errno that
	// also means "this driver has no I2C_RDWR": refuse them here, so that
	// bad input cannot switch the bus to the fallback for good.
	if len(msgs) > i2cRdwrMaxMsgs {
		return &BusError{Bus: b.path, Op: "transfer", Kind: ErrMalformed,
			Err: fmt.Errorf("%d messages in one transaction, i2c-dev takes at most %d", len(msgs), i2cRdwrMaxMsgs)}
	}
	for i, m := range msgs {
		if len(m.Buf) > i2cMaxMsgLen {
			dir := "write"
			if m.Read {
				dir = "read"
			}
			return &BusError{Bus: b.path, Op: "transfer", Kind: ErrMalformed,
				Err: fmt.Errorf("message %d, a %s of %d bytes at 0x%02X, is longer than the %d bytes i2c-dev takes", i, dir, len(m.Buf), m.Addr, i2cMaxMsgLen)}
		}
	}
	if !b.fallback {
		err := b.sys.rdwr(b.fd, msgs)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EINVAL) {
			return b.ioError("ioctl I2C_RDWR", err)
		}
		b.fallback = true
	}
	for _, m := range msgs {
		if int(m.Addr) != b.slave {
			if err := b.sys.setSlave(b.fd, m.Addr); err != nil {
				return b.ioError(fmt.Sprintf("ioctl I2C_SLAVE 0x%02X", m.Addr), err)
			}
			b.slave = int(m.Addr)
		}
		var n int
		var err error
		if m.Read {
			n, err = b.sys.read(b.fd, m.Buf)
		} else {
			n, err = b.sys.write(b.fd, m.Buf)
		}
		if err != nil {
			return b.ioError(m.String(), err)
		}
		if n != len(m.Buf) {
			return &BusError{Bus: b.path, Op: m.String(), Err: fmt.Errorf("short transfer: %d of %d bytes", n, len(m.Buf))}
		}
	}
	return nil
}

func (b *I2CBus) ioError(op string, err error) error {
	be := &BusError{Bus: b.path, Op: op, Err: err}
	switch {
	case errors.Is(err, unix.EBUSY):
		be.Kind, be.Hint = ErrBusy, hintBusy
	case errors.Is(err, unix.ENXIO), errors.Is(err, unix.EREMOTEIO):
		be.Kind = ErrNoDevice
	case errors.Is(err, unix.EACCES), errors.Is(err, unix.EPERM):
		be.Kind, be.Hint = ErrPermission, hintAccess
	}
	return be
}

// LockProcess implements ProcessLocker with an exclusive flock on the
// device node, the lock ddcutil takes too. While another process holds it,
// LockProcess retries the non-blocking flock after sleeps that grow from
// 1 ms to 25 ms, until ctx ends (a blocking flock could not be cancelled).
func (b *I2CBus) LockProcess(ctx context.Context) (func(), error) {
	b.mu.Lock()
	fd, closed := b.fd, b.closed
	b.mu.Unlock()
	if closed {
		return nil, &BusError{Bus: b.path, Op: "flock", Err: os.ErrClosed}
	}
	unlock, err := lockFD(ctx, b.sys, fd, b.path)
	if err != nil {
		return nil, err
	}
	// Unlock through the bus: once Close has run, the descriptor number
	// may already belong to another file (closing released the lock), and
	// a LOCK_UN on it would drop someone else's lock.
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			defer b.mu.Unlock()
			if !b.closed && b.fd == fd {
				unlock()
			}
		})
	}, nil
}

func lockFD(ctx context.Context, sys i2cSys, fd int, name string) (func(), error) {
	wait := time.Millisecond
	for {
		err := sys.flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { _ = sys.flock(fd, unix.LOCK_UN) }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			return nil, &BusError{Bus: name, Op: "flock", Err: err}
		}
		if err := sleep(ctx, wait); err != nil {
			return nil, &BusError{Bus: name, Op: "flock", Err: err, Kind: ErrBusy,
				Hint: "another process (ddcutil, another ddc program) holds the bus"}
		}
		wait = min(2*wait, 25*time.Millisecond)
	}
}

// loadModule is kmodule.Probe, replaced in tests.
var loadModule = func(name string) error { return kmodule.Probe(name, "") }

// LoadI2CDev loads the i2c-dev kernel module (root only), so /dev/i2c-N
// nodes appear. It uses u-root's kmodule, which reads modules.dep and
// loads dependencies as modprobe does.
func LoadI2CDev() error {
	if err := loadModule("i2c-dev"); err != nil {
		be := &BusError{Bus: "i2c-dev", Op: "load module", Err: err, Kind: ErrNoI2CDev}
		if errors.Is(err, unix.EPERM) || errors.Is(err, os.ErrPermission) {
			be.Hint = "loading a kernel module needs root (CAP_SYS_MODULE)"
		} else {
			be.Hint = "is the module installed for the running kernel (/lib/modules/$(uname -r))? it may also be built in"
		}
		return be
	}
	return nil
}
