package binfmt

import (
	"strconv"
	"strings"
)

// Lint returns warnings about a registration the kernel accepts but that
// probably does not do what its author meant. Validate reports what the
// kernel refuses; Lint what it takes silently.
func (r Registration) Lint() []string {
	var w []string
	if !strings.HasPrefix(r.Interpreter, "/") {
		w = append(w, "interpreter "+strconv.Quote(r.Interpreter)+" is not an absolute path: the kernel resolves it against the working directory of every program it runs")
	}
	if len(r.Interpreter) > 127 {
		w = append(w, "interpreter is "+strconv.Itoa(len(r.Interpreter))+" bytes: the kernel documentation gives 127 as the limit (current kernels take longer paths, older ones may not)")
	}
	if strings.ContainsAny(r.Name, " \t\n") {
		w = append(w, "name "+strconv.Quote(r.Name)+" contains white space")
	}
	switch r.Kind {
	case KindExtension:
		if strings.HasPrefix(r.Extension, ".") {
			w = append(w, "extension "+strconv.Quote(r.Extension)+" starts with a dot: the kernel compares the text after the last dot of the path, so it never matches (write "+strconv.Quote(strings.TrimLeft(r.Extension, "."))+")")
		}
	case KindMagic:
		for i := range r.Magic {
			if r.Mask != nil && r.Magic[i]&^r.Mask[i] != 0 {
				w = append(w, "magic byte "+strconv.Itoa(i)+" ("+hexByte(r.Magic[i])+") has bits its mask ("+hexByte(r.Mask[i])+") ignores")
				break
			}
		}
	}
	if r.Flags&FlagCredentials != 0 && r.Flags&FlagOpenBinary == 0 {
		w = append(w, "C implies O: the kernel sets O as well")
	}
	return w
}
