package ddc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// fakeSys stands in for the kernel at the i2c-dev system-call boundary.
type fakeSys struct {
	mu       sync.Mutex
	openErr  error
	rdwrErr  error
	slaveErr error
	ioErr    error
	calls    []string
	slave    uint16
	reply    []byte
}

func (f *fakeSys) log(s string) { f.calls = append(f.calls, s) }
func (f *fakeSys) open(path string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("open " + path)
	if f.openErr != nil {
		return -1, f.openErr
	}
	return 42, nil
}
func (f *fakeSys) close(fd int) error { f.mu.Lock(); f.log("close"); f.mu.Unlock(); return nil }
func (f *fakeSys) rdwr(fd int, msgs []Msg) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("rdwr")
	if f.rdwrErr != nil {
		return f.rdwrErr
	}
	for _, m := range msgs {
		if m.Read {
			copy(m.Buf, f.reply)
		}
	}
	return nil
}
func (f *fakeSys) setSlave(fd int, addr uint16) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("slave")
	if f.slaveErr != nil {
		return f.slaveErr
	}
	f.slave = addr
	return nil
}
func (f *fakeSys) read(fd int, p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("read")
	if f.ioErr != nil {
		return 0, f.ioErr
	}
	// An i2c read always returns the bytes asked for; the display pads.
	n := copy(p, f.reply)
	for i := n; i < len(p); i++ {
		p[i] = 0xFF
	}
	return len(p), nil
}
func (f *fakeSys) write(fd int, p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log("write")
	if f.ioErr != nil {
		return 0, f.ioErr
	}
	return len(p), nil
}
func (f *fakeSys) flock(fd int, how int) error { return nil }

func (f *fakeSys) trace() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.calls, ",")
}

func TestI2COpenErrors(t *testing.T) {
	noI2CDev := t.TempDir()
	withI2CDev := t.TempDir()
	os.MkdirAll(filepath.Join(withI2CDev, "class", "i2c-dev"), 0o755)
	for _, tc := range []struct {
		err     error
		sysRoot string
		kind    error
		hint    string
	}{
		{unix.ENOENT, noI2CDev, ErrNoI2CDev, "modprobe i2c-dev"},
		{unix.EACCES, withI2CDev, ErrPermission, "udev rule"},
		{unix.EBUSY, withI2CDev, ErrBusy, "ddcci"},
	} {
		_, err := openI2C("/dev/i2c-4", &fakeSys{openErr: tc.err}, tc.sysRoot)
		if !errors.Is(err, tc.kind) || !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.hint) || !strings.Contains(err.Error(), "/dev/i2c-4") {
			t.Errorf("%v: %v", tc.err, err)
		}
	}
	// ENOENT with i2c-dev loaded is just a missing bus.
	_, err := openI2C("/dev/i2c-99", &fakeSys{openErr: unix.ENOENT}, withI2CDev)
	if errors.Is(err, ErrNoI2CDev) || !errors.Is(err, unix.ENOENT) {
		t.Errorf("missing bus: %v", err)
	}
}

func TestI2CRdwrAndFallback(t *testing.T) {
	ctx := context.Background()
	reply, _ := EncodeReply(VCPReply{Code: 0x10, Max: 100, Value: 33})
	fs := &fakeSys{reply: reply}
	b, err := openI2C("/dev/i2c-4", fs, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := NewSession(b, &Options{SleepMultiplier: 0.01})
	if r, err := s.GetVCP(ctx, 0x10); err != nil || r.Value != 33 {
		t.Fatalf("get over I2C_RDWR: %+v %v", r, err)
	}
	if got := fs.trace(); got != "open /dev/i2c-4,rdwr,rdwr" || b.UsesFallback() {
		t.Errorf("calls %s", got)
	}
	// Nvidia's driver refuses I2C_RDWR with EINVAL: I2C_SLAVE + write/read.
	fs2 := &fakeSys{reply: reply, rdwrErr: unix.EINVAL}
	b2, _ := openI2C("/dev/i2c-5", fs2, t.TempDir())
	s2 := NewSession(b2, &Options{SleepMultiplier: 0.01})
	if r, err := s2.GetVCP(ctx, 0x10); err != nil || r.Value != 33 {
		t.Fatalf("get over fallback: %+v %v", r, err)
	}
	if got := fs2.trace(); got != "open /dev/i2c-5,rdwr,slave,write,read" || !b2.UsesFallback() || fs2.slave != AddrDDCCI {
		t.Errorf("calls %s, slave 0x%02X", got, fs2.slave)
	}
	// EBUSY from I2C_SLAVE: a kernel driver owns 0x37.
	fs3 := &fakeSys{rdwrErr: unix.EINVAL, slaveErr: unix.EBUSY}
	b3, _ := openI2C("/dev/i2c-6", fs3, t.TempDir())
	err = b3.Transfer(ctx, Msg{Addr: AddrDDCCI, Buf: []byte{1}})
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "rmmod ddcci") {
		t.Errorf("EBUSY: %v", err)
	}
	// ENXIO: nothing at the address.
	fs4 := &fakeSys{rdwrErr: unix.ENXIO}
	b4, _ := openI2C("/dev/i2c-7", fs4, t.TempDir())
	if err := b4.Transfer(ctx, Msg{Addr: AddrDDCCI, Buf: []byte{1}}); !errors.Is(err, ErrNoDevice) {
		t.Errorf("ENXIO: %v", err)
	}
	if err := b4.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b4.Transfer(ctx, Msg{Addr: AddrDDCCI, Buf: []byte{1}}); !errors.Is(err, os.ErrClosed) {
		t.Errorf("after close: %v", err)
	}
}

// TestRealRdwrIoctl drives the real I2C_RDWR marshalling against a file
// that is not an i2c device: the kernel must answer ENOTTY, proving the
// ioctl reached it with a well-formed argument.
func TestRealRdwrIoctl(t *testing.T) {
	fd, err := unix.Open("/dev/null", unix.O_RDWR, 0)
	if err != nil {
		t.Skip("no /dev/null")
	}
	defer unix.Close(fd)
	buf := make([]byte, 11)
	err = realSys{}.rdwr(fd, []Msg{{Addr: AddrDDCCI, Buf: []byte{0x51, 0x82, 0x01, 0x10, 0xAC}}, {Addr: AddrDDCCI, Read: true, Buf: buf}})
	if !errors.Is(err, unix.ENOTTY) {
		t.Errorf("I2C_RDWR on /dev/null: %v, want ENOTTY", err)
	}
	if err := (realSys{}).setSlave(fd, AddrDDCCI); !errors.Is(err, unix.ENOTTY) {
		t.Errorf("I2C_SLAVE on /dev/null: %v, want ENOTTY", err)
	}
}

func TestLoadI2CDevErrors(t *testing.T) {
	old := loadModule
	defer func() { loadModule = old }()
	loadModule = func(string) error { return unix.EPERM }
	if err := LoadI2CDev(); !errors.Is(err, ErrNoI2CDev) || !strings.Contains(err.Error(), "needs root") {
		t.Errorf("EPERM: %v", err)
	}
	loadModule = func(string) error { return os.ErrNotExist }
	if err := LoadI2CDev(); !strings.Contains(err.Error(), "/lib/modules") {
		t.Errorf("not found: %v", err)
	}
	loadModule = func(string) error { return nil }
	if err := LoadI2CDev(); err != nil {
		t.Error(err)
	}
}

const lockHelperEnv = "DDC_TEST_LOCK_HELPER"

// TestMain lets the test binary act as a second process holding a lock.
func TestMain(m *testing.M) {
	if root := os.Getenv(backlightHelperEnv); root != "" {
		err := SetBacklight(root, "intel_backlight", 10)
		os.Stdout.WriteString(fmt.Sprintf("%v|%v\n", errors.Is(err, ErrPermission), err))
		os.Exit(0)
	}
	if p := os.Getenv(lockHelperEnv); p != "" {
		fd, err := unix.Open(p, unix.O_RDONLY, 0)
		if err == nil {
			err = unix.Flock(fd, unix.LOCK_EX)
		}
		if err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("locked\n")
		bufio.NewReader(os.Stdin).ReadString('\n') // hold until stdin closes
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestProcessLock: another process holding the device's flock keeps a
// session waiting; it proceeds when the lock is released.
func TestProcessLock(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "i2c-9")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+dev)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper: %q %v", line, err)
	}
	b, err := OpenI2CPath(dev)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := b.LockProcess(ctx); !errors.Is(err, ErrBusy) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lock held elsewhere: %v", err)
	}
	got := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		unlock, err := b.LockProcess(ctx)
		if err == nil {
			unlock()
		}
		got <- err
	}()
	stdin.Close() // the helper exits and its lock goes
	if err := <-got; err != nil {
		t.Fatalf("lock after release: %v", err)
	}
}

const backlightHelperEnv = "DDC_TEST_BACKLIGHT_HELPER"

// TestBacklightPermissionUnprivileged writes a backlight as user nobody:
// the kernel's EACCES must come back as ErrPermission naming the udev
// rule and logind. Root ignores file modes, so the write runs in a copy
// of the test binary started with uid 65534.
func TestBacklightPermissionUnprivileged(t *testing.T) {
	if os.Geteuid() != 0 {
		err := SetBacklight(readOnlyBacklights(t), "intel_backlight", 10)
		if !errors.Is(err, ErrPermission) || !strings.Contains(err.Error(), "SetBrightness") {
			t.Errorf("unprivileged write: %v", err)
		}
		return
	}
	root := readOnlyBacklights(t)
	dir := t.TempDir()
	os.Chmod(filepath.Dir(dir), 0o755)
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "ddc.test")
	src, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	cmd := exec.Command(bin, "-test.run=^$")
	cmd.Env = append(os.Environ(), backlightHelperEnv+"="+root)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper as nobody: %v %s", err, out)
	}
	if !strings.HasPrefix(string(out), "true|") || !strings.Contains(string(out), "permission denied") ||
		!strings.Contains(string(out), "SetBrightness") || !strings.Contains(string(out), "udev") {
		t.Errorf("write as nobody: %s", out)
	}
}

// readOnlyBacklights is a fake backlight tree readable by everyone whose
// brightness file only root may write.
func readOnlyBacklights(t *testing.T) string {
	root := t.TempDir()
	os.Chmod(filepath.Dir(root), 0o755)
	os.Chmod(root, 0o755)
	dir := filepath.Join(root, "class", "backlight", "intel_backlight")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for f, c := range map[string]string{"brightness": "5\n", "max_brightness": "100\n", "type": "raw\n"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// flockLogSys is fakeSys recording flock calls.
type flockLogSys struct {
	*fakeSys
	flocks []int
}

func (f *flockLogSys) flock(fd int, how int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.flocks = append(f.flocks, how)
	return nil
}

// TestUnlockAfterCloseLeavesFDAlone: the unlock function of a lock taken
// before Close must not flock(LOCK_UN) the old descriptor number, which by
// then may be another file's (and its lock someone else's); closing
// already released the lock. A second unlock call is a no-op too.
func TestUnlockAfterCloseLeavesFDAlone(t *testing.T) {
	sys := &flockLogSys{fakeSys: &fakeSys{}}
	b, err := openI2C("/dev/i2c-7", sys, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := b.LockProcess(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	unlock()
	unlock()
	sys.mu.Lock()
	defer sys.mu.Unlock()
	if len(sys.flocks) != 1 || sys.flocks[0] != unix.LOCK_EX|unix.LOCK_NB {
		t.Errorf("flock calls %v, want only the LOCK_EX|LOCK_NB of LockProcess", sys.flocks)
	}

	// While the bus is open, unlock does release, once.
	sys2 := &flockLogSys{fakeSys: &fakeSys{}}
	b2, err := openI2C("/dev/i2c-8", sys2, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	unlock2, err := b2.LockProcess(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	unlock2()
	unlock2()
	sys2.mu.Lock()
	defer sys2.mu.Unlock()
	if len(sys2.flocks) != 2 || sys2.flocks[1] != unix.LOCK_UN {
		t.Errorf("flock calls %v, want LOCK_EX|LOCK_NB then one LOCK_UN", sys2.flocks)
	}
}
