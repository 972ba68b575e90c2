package ddctest_test

import (
	"context"
	"fmt"

	"github.com/hostkit-dev/hostkit/ddc"
	"github.com/hostkit-dev/hostkit/ddc/ddctest"
)

// Test code that sets the input source against a simulated monitor, and
// check what it wrote.
func Example() {
	mon := ddctest.New(ddctest.Config{Name: "example-input", Multiplier: 0.01})
	s := ddc.NewSession(mon, &ddc.Options{SleepMultiplier: 0.01})
	if err := s.SetVCP(context.Background(), 0x60, 0x11); err != nil {
		fmt.Println(err)
		return
	}
	f, _ := mon.Feature(0x60)
	fmt.Printf("input now 0x%02X, frames written: % X\n", f.Value, mon.Writes())
	// Output: input now 0x11, frames written: [51 84 03 60 00 11 C9]
}
