// Command usrcompare resolves every dynamically linked x86_64 ELF file under
// a tree (default /usr) with elfwrap, compares each load order with the
// loader's own (`ld.so --list`, or LD_TRACE_LOADED_OBJECTS=1 when a library
// is missing), and times elfwrap against the tools people use: an
// `ld.so --list` loop, an `ldd` loop and `lddtree` (one process per file).
//
//	go run ./elfwrap/testdata/usrcompare [-dir /usr] [-compare] [-bench] [-peers ldso,ldd,lddtree]
//
// It lives under testdata so that `go build ./...` and `go vet ./...` skip it.
package main

import (
	"bytes"
	"context"
	"debug/elf"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hostkit-dev/hostkit/elfwrap"
)

const (
	loader   = "/lib64/ld-linux-x86-64.so.2"
	loader32 = "/lib/ld-linux.so.2" // libc6-i386 (gcc-multilib), when installed
)

func main() {
	dir := flag.String("dir", "/usr", "tree to walk")
	compare := flag.Bool("compare", true, "compare every load order with ld.so")
	bench := flag.Bool("bench", false, "time elfwrap against the peers")
	peers := flag.String("peers", "ldso,ldd,lddtree,lddtree-once", "peers to time with -bench (lddtree-once: one lddtree process for all files)")
	verbose := flag.Bool("v", false, "print every difference in full")
	flag.Parse()
	files, files32 := collect(*dir)
	fmt.Printf("%d dynamically linked x86_64 ELF files under %s\n", len(files), *dir)

	// Ours: a fresh resolver (empty caches), all files, GOMAXPROCS workers.
	start := time.Now()
	results := resolveAll(files)
	ours := time.Since(start)
	fmt.Printf("elfwrap: %v for all files (%.3f ms a file, %d workers)\n", ours.Round(time.Millisecond), ms(ours)/float64(len(files)), runtime.GOMAXPROCS(0))
	start = time.Now()
	for _, f := range files {
		(&elfwrap.Resolver{}).Resolve(context.Background(), f)
	}
	cold := time.Since(start)
	fmt.Printf("elfwrap, a new resolver per file, one worker: %v (%.3f ms a file)\n", cold.Round(time.Millisecond), ms(cold)/float64(len(files)))

	if *compare {
		agree, fails := compareAll(loader, files, results, *verbose)
		fmt.Printf("agreement with ld.so: %d of %d files (%d differ)\n", agree, len(files), fails)
		if _, err := os.Stat(loader32); err == nil && len(files32) > 0 {
			agree, fails := compareAll(loader32, files32, resolveAll(files32), *verbose)
			fmt.Printf("agreement with %s on %d i386 files: %d (%d differ)\n", loader32, len(files32), agree, fails)
		}
	}
	if *bench {
		for _, p := range strings.Split(*peers, ",") {
			if p == "lddtree-once" {
				// One process, files in batches of 500 (ARG_MAX).
				start := time.Now()
				for i := 0; i < len(files); i += 500 {
					batch := files[i:min(i+500, len(files))]
					cmd := exec.Command("/usr/bin/python3", append([]string{"/usr/bin/lddtree"}, batch...)...)
					cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
					cmd.Run()
				}
				d := time.Since(start)
				fmt.Printf("%s: %v (%.2f ms a file), %.0fx elfwrap\n", p, d.Round(time.Millisecond), ms(d)/float64(len(files)), float64(d)/float64(ours))
				continue
			}
			var argv func(f string) []string
			switch p {
			case "ldso":
				argv = func(f string) []string { return []string{loader, "--list", f} }
			case "ldd":
				argv = func(f string) []string { return []string{"/usr/bin/ldd", f} }
			case "lddtree":
				argv = func(f string) []string { return []string{"/usr/bin/python3", "/usr/bin/lddtree", f} }
			default:
				fmt.Fprintf(os.Stderr, "unknown peer %q\n", p)
				os.Exit(2)
			}
			start := time.Now()
			for _, f := range files {
				a := argv(f)
				cmd := exec.Command(a[0], a[1:]...)
				cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
				cmd.Run()
			}
			d := time.Since(start)
			fmt.Printf("%s loop: %v (%.2f ms a file), %.0fx elfwrap\n", p, d.Round(time.Millisecond), ms(d)/float64(len(files)), float64(d)/float64(ours))
		}
	}
}

// compareAll compares each result with the loader's list. When the loader
// refuses a file (exit status != 0) we must have reported an error or a
// missing library.
func compareAll(loader string, files []string, results []result, verbose bool) (agree, fails int) {
	for i, f := range files {
		want, err := list(loader, f)
		res := results[i]
		if err != nil {
			if res.err != nil || len(res.res.Missing) > 0 {
				agree++
			} else {
				fails++
				fmt.Printf("DIFF %s: the loader failed (%v), elfwrap resolved it\n", f, err)
			}
			continue
		}
		if res.err != nil {
			fails++
			fmt.Printf("DIFF %s: elfwrap: %v\n", f, res.err)
			continue
		}
		var got []string
		for _, o := range res.res.Order {
			got = append(got, strings.TrimSpace(o.ListLine()))
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			fails++
			fmt.Printf("DIFF %s\n", f)
			if verbose {
				fmt.Printf("  ld.so:   %q\n  elfwrap: %q\n", want, got)
			}
			continue
		}
		agree++
	}
	return agree, fails
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

type result struct {
	res *elfwrap.Result
	err error
}

func resolveAll(files []string) []result {
	r := &elfwrap.Resolver{}
	out := make([]result, len(files))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res, err := r.Resolve(context.Background(), files[i])
				out[i] = result{res, err}
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}

var addr = regexp.MustCompile(` \(0x[0-9a-f]+\)$`)

func list(loader, f string) ([]string, error) {
	cmd := exec.Command(loader, "--list", f)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && strings.Contains(stderr.String(), "cannot open shared object file") {
		cmd = exec.Command(loader, f)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C", "LD_TRACE_LOADED_OBJECTS=1"}
		out, err = cmd.Output()
	}
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(addr.ReplaceAllString(l, ""))
		if l == "" || strings.HasPrefix(l, "linux-vdso.so") || strings.HasPrefix(l, "linux-gate.so") || l == "statically linked" {
			continue
		}
		lines = append(lines, l)
	}
	return lines, nil
}

func collect(dir string) (files, files32 []string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return nil
		}
		var m [4]byte
		_, err = f.ReadAt(m[:], 0)
		f.Close()
		if err != nil || string(m[:]) != elf.ELFMAG {
			return nil
		}
		info, err := elfwrap.Inspect(p)
		if err != nil || !info.Dynamic || info.DynamicEmpty || info.Kind == elfwrap.KindOther {
			return nil
		}
		switch {
		case info.Class == elf.ELFCLASS64 && info.Machine == elf.EM_X86_64:
			files = append(files, p)
		case info.Machine == elf.EM_386:
			files32 = append(files32, p)
		}
		return nil
	})
	sort.Strings(files)
	sort.Strings(files32)
	return files, files32
}
