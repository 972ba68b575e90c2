package elfwrap

import (
	"context"
	"errors"
	"github.com/hostkit-dev/hostkit/internal/regfile"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// ScanOptions control Scan.
type ScanOptions struct {
	// Resolver resolves each file; nil means a host Resolver with no
	// LD_LIBRARY_PATH.
	Resolver *Resolver
	// Candidates are directories to check for each missing library (for
	// example the entries of NIX_LD_LIBRARY_PATH).
	Candidates []string
}

// ScanFinding is one ELF file with libraries that do not resolve.
type ScanFinding struct {
	// Path is the file's path.
	Path string `json:"path"`
	// Missing lists what is not found, with the directories that would
	// provide each library.
	Missing []ScanMissing `json:"missing"`
}

// ScanMissing is one library a file cannot load.
type ScanMissing struct {
	Missing
	// SatisfiedBy lists the candidate directories holding a file of that
	// name with the right class and machine.
	SatisfiedBy []string `json:"satisfied_by,omitempty"`
}

// ScanReport is the result of Scan.
type ScanReport struct {
	// Files is the number of dynamically linked ELF files examined.
	Files int `json:"files"`
	// Findings are the files with unresolved libraries, sorted by path.
	Findings []ScanFinding `json:"findings"`
	// Errors lists ELF files that could not be read (malformed), by path.
	Errors map[string]string `json:"errors,omitempty"`
}

// Scan walks the tree under dir (not following symbolic links to
// directories, so link cycles cannot trap it), resolves every dynamically
// linked ELF file in it and reports those with missing libraries. When the
// Resolver has a Root, dir is a path inside that root (like Resolve's file)
// and files are reported by their paths inside it; Candidates stay host
// paths.
func Scan(ctx context.Context, dir string, opt ScanOptions) (*ScanReport, error) {
	r := opt.Resolver
	if r == nil {
		r = &Resolver{}
	}
	rep := &ScanReport{Errors: map[string]string{}}
	walkDir, inner := dir, func(hp string) string { return hp }
	if cleanRoot(r.Root) != "" {
		rdir := r.abs(dir)
		hd, err := ResolveInRoot(r.Root, rdir)
		if err != nil {
			return rep, err
		}
		hd = strings.TrimSuffix(hd, "/") // the root itself comes back as "ROOT/"
		walkDir = hd
		inner = func(hp string) string {
			return strings.TrimSuffix(rdir, "/") + strings.TrimPrefix(hp, hd)
		}
	}
	err := filepath.WalkDir(walkDir, func(hp string, d fs.DirEntry, err error) error {
		p := inner(hp)
		if err != nil {
			if hp == walkDir {
				return err
			}
			rep.Errors[p] = err.Error()
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if !d.Type().IsRegular() || !hasELFMagic(hp) {
			return nil
		}
		info, err := Inspect(hp)
		if err != nil {
			rep.Errors[p] = err.Error()
			return nil
		}
		if !info.Dynamic || info.DynamicEmpty || info.Kind == KindOther {
			return nil
		}
		rep.Files++
		res, err := r.Resolve(ctx, p)
		if err != nil {
			rep.Errors[p] = err.Error()
			return nil
		}
		if len(res.Missing) == 0 {
			return nil
		}
		f := ScanFinding{Path: p}
		for _, m := range res.MissingList() {
			sm := ScanMissing{Missing: m}
			if !strings.Contains(m.Name, "/") {
				for _, c := range opt.Candidates {
					if c == "" {
						continue
					}
					ci, err := Inspect(filepath.Join(c, m.Name))
					if err == nil && ci.Compatible(info) && ci.Kind != KindExecutable {
						sm.SatisfiedBy = append(sm.SatisfiedBy, c)
					}
				}
			}
			f.Missing = append(f.Missing, sm)
		}
		rep.Findings = append(rep.Findings, f)
		return nil
	})
	if err != nil && !errors.Is(err, fs.SkipAll) {
		return rep, err
	}
	sort.Slice(rep.Findings, func(i, j int) bool { return rep.Findings[i].Path < rep.Findings[j].Path })
	return rep, nil
}

func hasELFMagic(p string) bool {
	f, _, err := regfile.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [4]byte
	n, _ := f.ReadAt(b[:], 0)
	return n == 4 && string(b[:]) == "\x7fELF"
}
