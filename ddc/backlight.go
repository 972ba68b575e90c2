package ddc

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Backlight is a device of the sysfs backlight class
// (/sys/class/backlight/NAME), including the ddcciN devices that the
// ddcci-backlight driver creates for external monitors.
type Backlight struct {
	Name string
	// Path is the device's sysfs directory.
	Path string
	// Type is raw, platform or firmware.
	Type string
	// Brightness is the requested level, Actual the level the hardware
	// reports (or -1 when not readable), Max the maximum.
	Brightness, Actual, Max int
	// Power is bl_power (0 on, 4 off), or -1 when absent.
	Power int
	// DDCCI is set for ddcci-backlight devices.
	DDCCI bool
}

// BacklightError describes a backlight file that could not be read or
// written.
type BacklightError struct {
	Path string
	Op   string
	Err  error
	Hint string
	Kind error
}

// Error implements error.
func (e *BacklightError) Error() string {
	s := fmt.Sprintf("ddc: backlight %s %s: %v", e.Op, e.Path, e.Err)
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}

// Unwrap returns the sentinel kind and the underlying error.
func (e *BacklightError) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}

const hintBacklightAccess = "writing brightness needs root or a udev rule such as `ACTION==\"add\", SUBSYSTEM==\"backlight\", RUN+=\"/bin/chgrp video /sys/class/backlight/%k/brightness\", RUN+=\"/bin/chmod g+w /sys/class/backlight/%k/brightness\"`; desktop sessions can call logind's org.freedesktop.login1.Session.SetBrightness(\"backlight\", NAME, VALUE) over D-Bus instead"

func backlightDir(sysRoot string) string {
	if sysRoot == "" {
		sysRoot = "/sys"
	}
	return filepath.Join(sysRoot, "class", "backlight")
}

// ListBacklights returns every backlight device under
// <sysRoot>/class/backlight ("" means /sys). A missing class directory
// gives an empty list; a device that goes away while the list is read
// (a monitor unplugged) is left out.
func ListBacklights(sysRoot string) ([]Backlight, error) {
	dir := backlightDir(sysRoot)
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, &BacklightError{Path: dir, Op: "list", Err: err}
	}
	var out []Backlight
	for _, e := range ents {
		b, err := ReadBacklight(sysRoot, e.Name())
		if err != nil {
			// Unplugged while listed: the entry's device is gone (its
			// symlink dangles, or the entry itself went). Not listed.
			if _, serr := os.Stat(filepath.Join(dir, e.Name())); errors.Is(err, fs.ErrNotExist) && errors.Is(serr, fs.ErrNotExist) {
				continue
			}
			return out, err
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func validBacklightName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return fmt.Errorf("ddc: invalid backlight name %q", name)
	}
	return nil
}

// ReadBacklight reads one backlight device.
func ReadBacklight(sysRoot, name string) (Backlight, error) {
	if err := validBacklightName(name); err != nil {
		return Backlight{}, err
	}
	p := filepath.Join(backlightDir(sysRoot), name)
	b := Backlight{Name: name, Path: p, Actual: -1, Power: -1, DDCCI: strings.HasPrefix(name, "ddcci")}
	readInt := func(file string, dst *int, required bool) error {
		f := filepath.Join(p, file)
		raw, err := os.ReadFile(f)
		if err != nil {
			if !required && errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			be := &BacklightError{Path: f, Op: "read", Err: err}
			if errors.Is(err, fs.ErrPermission) {
				be.Kind = ErrPermission
			}
			return be
		}
		v, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil {
			return &BacklightError{Path: f, Op: "parse", Err: fmt.Errorf("%q is not an integer", strings.TrimSpace(string(raw))), Kind: ErrMalformed}
		}
		*dst = v
		return nil
	}
	if err := readInt("max_brightness", &b.Max, true); err != nil {
		return b, err
	}
	if err := readInt("brightness", &b.Brightness, true); err != nil {
		return b, err
	}
	if err := readInt("actual_brightness", &b.Actual, false); err != nil {
		// actual_brightness asks the hardware; ddcci devices may fail it.
		b.Actual = -1
	}
	_ = readInt("bl_power", &b.Power, false)
	b.Type = readTrim(filepath.Join(p, "type"))
	return b, nil
}

// SetBacklight writes a brightness level (0..max_brightness). The sysfs
// attribute is written in place: sysfs files cannot be replaced by rename.
func SetBacklight(sysRoot, name string, value int) error {
	b, err := ReadBacklight(sysRoot, name)
	if err != nil {
		return err
	}
	if value < 0 || value > b.Max {
		return &BacklightError{Path: b.Path, Op: "set", Err: fmt.Errorf("brightness %d outside 0..%d", value, b.Max), Kind: ErrMalformed}
	}
	f := filepath.Join(b.Path, "brightness")
	fh, err := os.OpenFile(f, os.O_WRONLY|os.O_TRUNC, 0)
	if err == nil {
		_, err = fh.WriteString(strconv.Itoa(value))
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return backlightWriteError(f, err)
	}
	return nil
}

func backlightWriteError(f string, err error) error {
	be := &BacklightError{Path: f, Op: "write", Err: err}
	if errors.Is(err, fs.ErrPermission) {
		be.Kind, be.Hint = ErrPermission, hintBacklightAccess
	}
	return be
}

// Percent returns the brightness as a percentage of Max.
func (b Backlight) Percent() int {
	if b.Max <= 0 {
		return 0
	}
	return (b.Brightness*100 + b.Max/2) / b.Max
}
