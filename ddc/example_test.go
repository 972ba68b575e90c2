package ddc_test

import (
	"context"
	"fmt"

	"github.com/hostkit-dev/hostkit/ddc"
	"github.com/hostkit-dev/hostkit/ddc/ddctest"
)

// Read and change the brightness of a display. A simulated monitor stands
// in for /dev/i2c-N here; with hardware, use ddc.OpenI2C(n).
func Example() {
	ctx := context.Background()
	mon := ddctest.New(ddctest.Config{Name: "example", Multiplier: 0.01})
	s := ddc.NewSession(mon, &ddc.Options{SleepMultiplier: 0.01})

	r, err := s.GetVCP(ctx, 0x10)
	if err != nil {
		fmt.Println(err)
		return
	}
	f, _ := ddc.LookupFeature(0x10, ddc.V22)
	fmt.Println(f.Name+":", f.FormatValue(r))
	if err := s.SetVCPVerified(ctx, 0x10, 80); err != nil {
		fmt.Println(err)
		return
	}
	r, _ = s.GetVCP(ctx, 0x10)
	fmt.Println(f.Name+":", f.FormatValue(r))
	// Output:
	// Brightness: 50 of 100 (50%)
	// Brightness: 80 of 100 (80%)
}

func ExampleEncodeRequest() {
	b, _ := ddc.EncodeRequest(ddc.SetVCPRequest{Code: 0x10, Value: 50})
	fmt.Printf("% X\n", b)
	// Output: 51 84 03 10 00 32 9A
}

func ExampleDecodeReply() {
	r, _ := ddc.DecodeReply([]byte{0x6E, 0x88, 0x02, 0x00, 0x10, 0x00, 0x00, 0x64, 0x00, 0x32, 0xF2})
	fmt.Printf("%+v\n", r)
	// Output: {Result:0 Code:16 Type:0 Max:100 Value:50}
}

func ExampleParseCapabilities() {
	c, _ := ddc.ParseCapabilities("prot(monitor)type(lcd)27UD58cmds(01 02 03 0C E3 F3)vcp(10 12 60(0F 11))mccs_ver(2.1)")
	fmt.Println(c.Model, c.MCCSVersion, len(c.VCP))
	in, _ := c.Feature(0x60)
	f, _ := ddc.LookupFeature(0x60, c.MCCSVersion)
	for _, v := range in.Values {
		fmt.Println(f.ValueName(v))
	}
	for _, w := range c.Warnings {
		fmt.Println("warning:", w)
	}
	// Output:
	// 27UD58 2.1 3
	// DisplayPort-1
	// HDMI-1
	// warning: offset 0: no outer parentheses
	// warning: offset 22: segment name "27UD58cmds": taking "27UD58" as the model (missing "model(")
}

func ExampleParseEDID() {
	blob := ddctest.DefaultEDID()
	e, _ := ddc.ParseEDID(blob)
	p, _ := e.Preferred()
	fmt.Println(e.Manufacturer, e.Name, p)
	for _, db := range e.Extensions[0].CTA.DataBlocks {
		fmt.Println(db.Name)
	}
	// Output:
	// HKT HK Sim 27 2560x1440 59.951 Hz 241.500 MHz
	// Video Data Block
	// Vendor-Specific Data Block
}

// Detect displays on several buses at once.
func ExampleDetect() {
	var buses []ddc.Bus
	for i := 0; i < 2; i++ {
		buses = append(buses, ddctest.New(ddctest.Config{Name: fmt.Sprintf("detect-%d", i), Multiplier: 0.01}))
	}
	for _, d := range ddc.Detect(context.Background(), buses, &ddc.Options{SleepMultiplier: 0.01}) {
		fmt.Println(d.Bus, d.EDID.Name, d.DDC, d.MCCSVersion)
	}
	// Output:
	// detect-0 HK Sim 27 true 2.2
	// detect-1 HK Sim 27 true 2.2
}
