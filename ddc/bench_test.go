package ddc_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/ddc"
	"github.com/hostkit-dev/hostkit/ddc/ddctest"
)

// The benchmarks below run the simulator at DDC/CI spec timing on a
// simulated 100 kHz bus. Each reports, beside ns/op:
//   spec-ms     the protocol minimum for the same work (waits + wire time)
//   x-spec      measured / spec minimum
//   ddcutil-ms  what ddcutil's default schedule costs for the same work
//               (50 ms after each write and each read, 200 ms before a
//               capabilities read), plus the same wire time

const bitRate = 100000

func specMonitor(name string) *ddctest.Monitor {
	return ddctest.New(ddctest.Config{Name: name, BitRate: bitRate})
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// median of the per-operation times: robust against the scheduler delays
// of a loaded machine, which ns/op (the mean) includes.
func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func BenchmarkGetVCPSpecTiming(b *testing.B) {
	ctx := context.Background()
	m := specMonitor("bench-get")
	s := ddc.NewSession(m, nil)
	wire := m.TransferTime(5) + m.TransferTime(12)
	spec := ddc.SpecTiming.ReplyDelay + wire
	ddcutil := 50*time.Millisecond + 50*time.Millisecond + wire
	var times []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := s.WaitReady(ctx); err != nil { // the previous command's gap
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if _, err := s.GetVCP(ctx, 0x10); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	per := median(times)
	b.ReportMetric(ms(spec), "spec-ms")
	b.ReportMetric(float64(per)/float64(spec), "x-spec-median")
	b.ReportMetric(ms(ddcutil), "ddcutil-ms")
	if m.TooSoon() != 0 {
		b.Fatalf("%d timing violations", m.TooSoon())
	}
}

func BenchmarkCapabilitiesSpecTiming(b *testing.B) {
	ctx := context.Background()
	m := specMonitor("bench-caps")
	s := ddc.NewSession(m, nil)
	n := (len(m.Capabilities())+ddc.FragmentSize-1)/ddc.FragmentSize + 1 // and the empty fragment
	wire := time.Duration(n) * (m.TransferTime(6) + m.TransferTime(ddc.MaxReplyLen))
	spec := time.Duration(n)*ddc.SpecTiming.ReplyDelay + time.Duration(n-1)*ddc.SpecTiming.CommandGap + wire
	ddcutil := 200*time.Millisecond + time.Duration(n)*100*time.Millisecond + wire
	var times []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := s.WaitReady(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if _, err := s.CapabilitiesString(ctx); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	per := median(times)
	b.ReportMetric(float64(n), "fragments")
	b.ReportMetric(ms(spec), "spec-ms")
	b.ReportMetric(float64(per)/float64(spec), "x-spec-median")
	b.ReportMetric(ms(ddcutil), "ddcutil-ms")
}

// BenchmarkDetect detects 1 and 4 displays on as many buses. The x-one
// metric of displays=4 is its time over one display's spec minimum.
func BenchmarkDetect(b *testing.B) {
	for _, n := range []int{1, 4} {
		b.Run(fmt.Sprintf("displays=%d", n), func(b *testing.B) {
			ctx := context.Background()
			var buses []ddc.Bus
			var probe *ddctest.Monitor
			for i := 0; i < n; i++ {
				m := specMonitor(fmt.Sprintf("bench-detect-%d-%d", n, i))
				probe = m
				buses = append(buses, m)
			}
			blocks := len(ddctest.DefaultEDID()) / ddc.EDIDBlockSize
			wire := time.Duration(blocks)*probe.TransferTime(1+1+ddc.EDIDBlockSize) + probe.TransferTime(5) + probe.TransferTime(12)
			spec := ddc.SpecTiming.ReplyDelay + wire
			ddcutil := 100*time.Millisecond + wire
			var times []time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				for _, m := range buses {
					if err := ddc.NewSession(m, nil).WaitReady(ctx); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				start := time.Now()
				for _, d := range ddc.Detect(ctx, buses, nil) {
					if !d.DDC || d.EDID == nil {
						b.Fatalf("%+v", d)
					}
				}
				times = append(times, time.Since(start))
			}
			per := median(times)
			b.ReportMetric(ms(spec), "spec-one-ms")
			b.ReportMetric(float64(per)/float64(spec), "x-spec-one-median")
			b.ReportMetric(ms(ddcutil), "ddcutil-one-ms")
		})
	}
}

func BenchmarkParseCapabilities(b *testing.B) {
	s := "(prot(monitor)type(lcd)model(ED273UR)cmds(01 02 03 07 0C E3 F3)vcp(02 04 05 08 0B 0C 10 12 14(05 06 08 0B) 16 18 1A 52 54(00 01) 60(03 11 0F) 62 59 5A 5B 5C 5D 5E 9B 9C 9D 9E 9F A0 AC AE B6 C0 C6 C8 C9 CC(01 02 03 04 05 06 08 09 0A 0C 0D 0E 14 16 1E)D6(01 04 05) DF E0(04 05) E1(00 02) E2(00 01 02 03 04 09 0C 0D 17 18 19 1A 1B) E3 E4 E5 E7(00 01 02) E8(00 01 02 03 04) )mswhql(1)asset_eep(32)mccs_ver(2.1))"
	b.SetBytes(int64(len(s)))
	for i := 0; i < b.N; i++ {
		if _, err := ddc.ParseCapabilities(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseEDID(b *testing.B) {
	blob, err := os.ReadFile("testdata/edid/dell-se2717h.bin")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(blob)))
	for i := 0; i < b.N; i++ {
		if _, err := ddc.ParseEDID(blob); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeReply(b *testing.B) {
	frame := []byte{0x6E, 0x88, 0x02, 0x00, 0x10, 0x00, 0x00, 0x64, 0x00, 0x32, 0xF2}
	for i := 0; i < b.N; i++ {
		if _, err := ddc.DecodeReply(frame); err != nil {
			b.Fatal(err)
		}
	}
}
