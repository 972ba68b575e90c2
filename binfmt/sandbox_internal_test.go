package binfmt

import (
	"errors"
	"testing"
)

func TestCheckKernel(t *testing.T) {
	for rel, want := range map[string]error{
		"6.18.0-1-amd64": nil, "6.7.0": nil, "7.0": nil,
		"6.6.58-cloud": ErrKernelTooOld, "5.15.0-91-generic": ErrKernelTooOld, "4.19.0": ErrKernelTooOld,
	} {
		if err := checkKernel(rel); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("%s: %v, want %v", rel, err, want)
		}
	}
	if err := checkKernel("garbage"); err == nil {
		t.Error("garbage release accepted")
	}
}
