package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

// A section that honours its deadline (stops its scan and says so) keeps
// what it found before: the report shows its facts and its note, not just
// "gave up".
func TestSectionStoppedAtDeadlineKeepsItsFacts(t *testing.T) {
	rs := []reporter{{name: "coop", title: "Cooperative", run: func(ctx context.Context, s *Section) {
		s.Add("found before the deadline", "yes")
		<-ctx.Done()
		s.Miss("scan stopped: %v", ctx.Err())
	}}}
	got := collect(context.Background(), rs, 50*time.Millisecond)[0]
	if len(got.Facts) != 1 || got.Facts[0].Label != "found before the deadline" {
		t.Errorf("facts %+v, want the one found before the deadline", got.Facts)
	}
	if len(got.Unavailable) != 1 || !strings.Contains(got.Unavailable[0], "scan stopped") {
		t.Errorf("unavailable %q, want the section's own note", got.Unavailable)
	}
}

// When its deadline ends the Requires check, the pkgconfig section says how
// many modules it checked, not how many there are.
func TestPkgconfigStopCountsCheckedModules(t *testing.T) {
	dir := t.TempDir()
	for i := range 3 {
		pc := fmt.Sprintf("Name: m%d\nDescription: d\nVersion: 1\n", i)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("m%d.pc", i)), []byte(pc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PKG_CONFIG_LIBDIR", dir)
	t.Setenv("PKG_CONFIG_PATH", "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var s Section
	reportPkgconfig(ctx, &s)
	if len(s.Unavailable) != 1 || !strings.Contains(s.Unavailable[0], "after 0 of 3 modules") {
		t.Errorf("unavailable %q, want the check stopped after 0 of 3 modules", s.Unavailable)
	}
}

// A FIFO named as a search directory in PKG_CONFIG_PATH does not hold up
// the pkgconfig section (pkgconf skips such an entry at once); the section
// names it and still counts the modules of the real directories.
func TestPkgconfigFIFOInSearchPath(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// Whatever blocked opening the FIFO for reading is let go at the end.
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	pcdir := filepath.Join(dir, "pc")
	if err := os.Mkdir(pcdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pcdir, "m.pc"), []byte("Name: m\nDescription: d\nVersion: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PKG_CONFIG_PATH", fifo+":"+pcdir)
	t.Setenv("PKG_CONFIG_LIBDIR", fifo)
	done := make(chan Section, 1)
	go func() {
		var s Section
		reportPkgconfig(context.Background(), &s)
		done <- s
	}()
	var s Section
	select {
	case s = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the pkgconfig section still runs 20 s after it started: blocked on the FIFO")
	}
	facts := map[string]string{}
	for _, f := range s.Facts {
		facts[f.Label] = f.Value
	}
	if facts["modules"] != "1" {
		t.Errorf("modules %q, want 1 (m.pc)", facts["modules"])
	}
	if !strings.Contains(strings.Join(s.Unavailable, "\n"), fifo) {
		t.Errorf("unavailable %q does not name the FIFO %s", s.Unavailable, fifo)
	}
}

// A FIFO given as the webhookd configuration is named, not opened: opening
// it would block until the section's deadline and lose all its facts.
func TestWebdeployConfigFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "webhookd.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	done := make(chan Section, 1)
	go func() {
		var s Section
		reportWebdeploy(context.Background(), &s, fifo, "")
		done <- s
	}()
	select {
	case s := <-done:
		if !strings.Contains(strings.Join(s.Unavailable, "\n"), fifo+" is not a regular file") {
			t.Errorf("unavailable %q does not say the configuration is not a regular file", s.Unavailable)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the webdeploy section still runs 20 s after it started: blocked on the FIFO")
	}
}
