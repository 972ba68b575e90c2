package ddc_test

import (
	"context"
	"testing"

	"github.com/hostkit-dev/hostkit/ddc"
	"github.com/hostkit-dev/hostkit/ddc/ddctest"
)

// TestDetectNullMeansDDC: a display without VCP 0xDF that says
// "unsupported" with the null message has answered DDC/CI. ddcutil's
// initial checks count a null reply (after all retries) as working DDC
// communication, as they do result code 01; Detect must not report such a
// display as having no DDC/CI.
func TestDetectNullMeansDDC(t *testing.T) {
	f := ddctest.DefaultFeatures()
	delete(f, 0xDF)
	m := ddctest.New(ddctest.Config{Name: t.Name(), Multiplier: fast, Features: f, Unsupported: ddctest.NullMessage})
	d := ddc.DetectOne(context.Background(), m, &ddc.Options{SleepMultiplier: fast})
	if !d.DDC || d.Err != nil || d.EDID == nil {
		t.Errorf("display answering null for 0xDF: DDC %v, err %v, EDID %v; want DDC true, no error", d.DDC, d.Err, d.EDID != nil)
	}
	// A bus where nothing answers at 0x37 is still not DDC/CI.
	m2 := ddctest.New(ddctest.Config{Name: t.Name() + "-noddc", Multiplier: fast, NoDDC: true})
	if d := ddc.DetectOne(context.Background(), m2, &ddc.Options{SleepMultiplier: fast}); d.DDC || d.Err == nil {
		t.Errorf("NoDDC display: DDC %v, err %v", d.DDC, d.Err)
	}
}
