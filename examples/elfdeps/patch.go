package main

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"github.com/hostkit-dev/hostkit/elfwrap/elfpatch"
)

const patchUsage = `usage: elfdeps patch [options] FILE...
Options (patchelf's names):
  --set-interpreter PATH   set PT_INTERP
  --print-interpreter      print PT_INTERP
  --set-rpath RPATH        set DT_RUNPATH (DT_RPATH with --force-rpath)
  --add-rpath RPATH        append to the search path
  --remove-rpath           remove DT_RPATH and DT_RUNPATH
  --shrink-rpath           keep only directories holding a NEEDED library
  --allowed-rpath-prefixes PREFIXES  with --shrink-rpath: colon-separated prefixes to keep
  --print-rpath            print the search path
  --force-rpath            write DT_RPATH instead of DT_RUNPATH
  --add-needed LIB         add a DT_NEEDED entry (repeatable)
  --remove-needed LIB      remove a DT_NEEDED entry (repeatable)
  --replace-needed OLD NEW rename a DT_NEEDED entry (repeatable)
  --print-needed           print the DT_NEEDED entries
  --set-soname NAME        set DT_SONAME
  --print-soname           print DT_SONAME
  --output FILE            write the result to FILE instead of in place
  --no-sync                skip fsync (the rename stays atomic); run sync(1) after a batch
  --in-place               write only the changed bytes into the file itself (keeps the inode and
                           hard links, as patchelf does; not atomic, refuses a running program);
                           the default replaces the file atomically (temp file + rename)
autoPatchelfHook mode (no FILE):
  --autopatch DIR          patch every ELF file under DIR: --set-interpreter LOADER on programs,
                           RUNPATH = directories (DIR first, then --auto-libs) providing NEEDED
  --auto-libs DIRS         colon-separated extra library directories
  --origin                 write directories inside DIR relative to $ORIGIN
  --dry-run                report without writing
  --ignore-missing         exit 0 even when some NEEDED library is provided by no directory
Values are printed as found in the input, before any change, as patchelf does.
`

type patchOpts struct {
	setInterp, setRPath, addRPath, setSoname, output      string
	hasSetInterp, hasSetRPath, hasAddRPath, hasSetSoname  bool
	printInterp, printRPath, printNeeded, printSoname     bool
	removeRPath, shrinkRPath, forceRPath, noSync, inPlace bool
	allowedPrefixes                                       []string
	autoLibs                                              []string
	autoDir                                               string
	origin, dryRun, ignoreMissing                         bool
	addNeeded, removeNeeded                               []string
	replaceNeeded                                         [][2]string
	files                                                 []string
}

func parsePatchArgs(args []string) (*patchOpts, error) {
	o := &patchOpts{}
	need := func(i *int, n int, flag string) ([]string, error) {
		if *i+n >= len(args) {
			return nil, fmt.Errorf("%s needs %d argument(s)", flag, n)
		}
		v := args[*i+1 : *i+1+n]
		*i += n
		return v, nil
	}
	onlyFiles := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if onlyFiles || !strings.HasPrefix(a, "--") {
			o.files = append(o.files, a)
			continue
		}
		var v []string
		var err error
		switch a {
		case "--":
			onlyFiles = true
		case "--set-interpreter", "--interpreter":
			if v, err = need(&i, 1, a); err == nil {
				o.setInterp, o.hasSetInterp = v[0], true
			}
		case "--set-rpath":
			if v, err = need(&i, 1, a); err == nil {
				o.setRPath, o.hasSetRPath = v[0], true
			}
		case "--add-rpath":
			if v, err = need(&i, 1, a); err == nil {
				o.addRPath, o.hasAddRPath = v[0], true
			}
		case "--set-soname":
			if v, err = need(&i, 1, a); err == nil {
				o.setSoname, o.hasSetSoname = v[0], true
			}
		case "--output":
			if v, err = need(&i, 1, a); err == nil {
				o.output = v[0]
			}
		case "--allowed-rpath-prefixes":
			if v, err = need(&i, 1, a); err == nil {
				o.allowedPrefixes = append(o.allowedPrefixes, strings.Split(v[0], ":")...)
			}
		case "--add-needed":
			if v, err = need(&i, 1, a); err == nil {
				o.addNeeded = append(o.addNeeded, v[0])
			}
		case "--remove-needed":
			if v, err = need(&i, 1, a); err == nil {
				o.removeNeeded = append(o.removeNeeded, v[0])
			}
		case "--replace-needed":
			if v, err = need(&i, 2, a); err == nil {
				o.replaceNeeded = append(o.replaceNeeded, [2]string{v[0], v[1]})
			}
		case "--print-interpreter":
			o.printInterp = true
		case "--print-rpath":
			o.printRPath = true
		case "--print-needed":
			o.printNeeded = true
		case "--print-soname":
			o.printSoname = true
		case "--remove-rpath":
			o.removeRPath = true
		case "--shrink-rpath":
			o.shrinkRPath = true
		case "--force-rpath":
			o.forceRPath = true
		case "--no-sync":
			o.noSync = true
		case "--in-place":
			o.inPlace = true
		case "--autopatch":
			if v, err = need(&i, 1, a); err == nil {
				o.autoDir = v[0]
			}
		case "--auto-libs":
			if v, err = need(&i, 1, a); err == nil {
				o.autoLibs = append(o.autoLibs, strings.Split(v[0], ":")...)
			}
		case "--origin":
			o.origin = true
		case "--dry-run":
			o.dryRun = true
		case "--ignore-missing":
			o.ignoreMissing = true
		default:
			return nil, fmt.Errorf("unknown option %s", a)
		}
		if err != nil {
			return nil, err
		}
	}
	if o.inPlace && o.output != "" {
		return nil, errors.New("--in-place writes the input file itself; it cannot be combined with --output")
	}
	if o.autoDir != "" {
		if o.inPlace {
			return nil, errors.New("--in-place is not supported with --autopatch")
		}
		if len(o.files) > 0 {
			return nil, errors.New("--autopatch takes a directory, not files")
		}
		return o, nil
	}
	if len(o.files) == 0 {
		return nil, errors.New("no input file")
	}
	if o.output != "" && len(o.files) != 1 {
		return nil, errors.New("--output needs exactly one input file")
	}
	return o, nil
}

// runPatch implements `elfdeps patch` with patchelf's flags, so it can
// stand in for patchelf in a build script.
func runPatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "--help" || args[0] == "-h") {
		fmt.Fprint(stdout, patchUsage)
		return 0
	}
	o, err := parsePatchArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "elfdeps patch: %v\n%s", err, patchUsage)
		return 2
	}
	if o.autoDir != "" {
		return runAutoPatch(ctx, o, stdout, stderr)
	}
	if len(o.files) == 1 {
		// One file (how build scripts call patchelf): no goroutine, no
		// buffered output.
		if err := patchOne(ctx, o, o.files[0], stdout); err != nil {
			fmt.Fprintf(stderr, "elfdeps patch: %v\n", err)
			return 1
		}
		return 0
	}
	// Files are independent: patch them in parallel, print in order. With
	// fsync the workers mostly wait for the disk, so more of them run than
	// there are CPUs: their syncs share journal commits.
	type result struct {
		out bytes.Buffer
		err error
	}
	results := make([]result, len(o.files))
	workers := runtime.GOMAXPROCS(0)
	if !o.noSync {
		workers = max(4*workers, 8)
	}
	sem := make(chan struct{}, workers)
	var wg sync.WaitGroup
	for _, group := range sameFileGroups(o.files) {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			for _, i := range group {
				results[i].err = patchOne(ctx, o, o.files[i], &results[i].out)
			}
		}()
	}
	wg.Wait()
	status := 0
	for _, r := range results {
		stdout.Write(r.out.Bytes())
		if r.err != nil {
			fmt.Fprintf(stderr, "elfdeps patch: %v\n", r.err)
			status = 1
		}
	}
	return status
}

// sameFileGroups groups the indices of files by the file they name (a
// symbolic or hard link, or a name given twice, names a file already
// listed), in the order given. The names of one file are patched one after
// the other, as patchelf patches them: in parallel, one worker would read
// the file while another writes it. A name that cannot be read is a group
// of its own (patching it reports why).
func sameFileGroups(files []string) [][]int {
	type id struct{ dev, ino uint64 }
	var groups [][]int
	seen := make(map[id]int)
	for i, file := range files {
		var st syscall.Stat_t
		if err := syscall.Stat(file, &st); err == nil {
			k := id{uint64(st.Dev), uint64(st.Ino)}
			if g, ok := seen[k]; ok {
				groups[g] = append(groups[g], i)
				continue
			}
			seen[k] = len(groups)
		}
		groups = append(groups, []int{i})
	}
	return groups
}

func patchOne(ctx context.Context, o *patchOpts, file string, stdout io.Writer) error {
	tag := elf.DT_RUNPATH
	if o.forceRPath {
		tag = elf.DT_RPATH
	}
	wo := elfpatch.WriteOptions{NoSync: o.noSync, InPlace: o.inPlace}
	return elfpatch.PatchFileWith(ctx, file, o.output, wo, func(f *elfpatch.File) error {
		if o.printInterp {
			s, err := f.Interpreter()
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, s)
		}
		if o.printSoname {
			s, err := f.Soname()
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, s)
		}
		if o.printRPath {
			s, _, err := f.Runpath()
			if err != nil {
				return err
			}
			fmt.Fprintln(stdout, s)
		}
		if o.printNeeded {
			libs, err := f.Needed()
			if err != nil {
				return err
			}
			for _, l := range libs {
				fmt.Fprintln(stdout, l)
			}
		}
		if o.hasSetSoname {
			if err := f.SetSoname(o.setSoname); err != nil {
				return err
			}
		}
		if o.hasSetInterp {
			if err := f.SetInterpreter(o.setInterp); err != nil {
				return err
			}
		}
		var err error
		switch {
		case o.shrinkRPath:
			err = f.ShrinkRunpath(o.allowedPrefixes, tag)
		case o.removeRPath:
			err = f.RemoveRunpath()
		case o.hasSetRPath:
			err = f.SetRunpath(o.setRPath, tag)
		case o.hasAddRPath:
			err = f.AddRunpath(o.addRPath, tag)
		}
		if err != nil {
			return err
		}
		if len(o.removeNeeded) > 0 {
			if err := f.RemoveNeeded(o.removeNeeded...); err != nil {
				return err
			}
		}
		for _, r := range o.replaceNeeded {
			if err := f.ReplaceNeeded(r[0], r[1]); err != nil {
				return err
			}
		}
		if len(o.addNeeded) > 0 {
			return f.AddNeeded(o.addNeeded...)
		}
		return nil
	})
}

// runAutoPatch implements --autopatch: one line per patched file, per
// missing library and per skipped file.
func runAutoPatch(ctx context.Context, o *patchOpts, stdout, stderr io.Writer) int {
	rep, err := elfpatch.AutoPatch(ctx, o.autoDir, elfpatch.AutoOptions{
		Interpreter: o.setInterp,
		LibDirs:     o.autoLibs,
		Origin:      o.origin,
		DryRun:      o.dryRun,
		Write:       elfpatch.WriteOptions{NoSync: o.noSync},
	})
	if rep != nil {
		for _, f := range rep.Files {
			switch {
			case f.Skipped != "":
				fmt.Fprintf(stdout, "skipped %s: %s\n", f.Path, f.Skipped)
			case f.Changed:
				fmt.Fprintf(stdout, "patched %s", f.Path)
				if f.Interpreter != "" {
					fmt.Fprintf(stdout, " interpreter=%s", f.Interpreter)
				}
				if f.Runpath != "" {
					fmt.Fprintf(stdout, " runpath=%s", f.Runpath)
				}
				fmt.Fprintln(stdout)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "elfdeps patch: %v\n", err)
		return 1
	}
	missing := rep.Missing()
	for _, m := range missing {
		fmt.Fprintf(stderr, "missing %s\n", m)
	}
	if len(missing) > 0 && !o.ignoreMissing {
		return 1
	}
	return 0
}
