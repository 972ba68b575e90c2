package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestReportJSONHasEverySection(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--json"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errb.String())
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	want := []string{"host", "ddc", "binfmt", "elfwrap", "pkgconfig", "mesonbuild", "webdeploy", "acmeutil"}
	var got []string
	for _, s := range rep.Sections {
		got = append(got, s.Name)
		if len(s.Facts) == 0 && len(s.Unavailable) == 0 {
			t.Errorf("section %s says nothing: neither facts nor what it could not read", s.Name)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("sections %v, want %v", got, want)
	}
}

func TestTextReport(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--only", "host"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d, stderr: %s", code, errb.String())
	}
	for _, want := range []string{"== This host (host)", "kernel", "running as"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--only", "nosuch"}, {"extra"}, {"--bogus"}} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if errb.Len() == 0 {
			t.Errorf("%v: no message on stderr", args)
		}
	}
}

func TestSectionPanicAndTimeoutAreContained(t *testing.T) {
	rs := []reporter{
		{name: "boom", title: "Boom", run: func(ctx context.Context, s *Section) { panic("kaboom") }},
		{name: "slow", title: "Slow", run: func(ctx context.Context, s *Section) { time.Sleep(time.Second) }},
	}
	got := collect(context.Background(), rs, 50*time.Millisecond)
	if len(got[0].Unavailable) != 1 || !strings.Contains(got[0].Unavailable[0], "kaboom") {
		t.Errorf("panicking section: %+v", got[0])
	}
	if len(got[1].Unavailable) != 1 || !strings.Contains(got[1].Unavailable[0], "gave up") {
		t.Errorf("slow section: %+v", got[1])
	}
}
