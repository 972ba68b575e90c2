package elfwrap

import (
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
	"syscall"
)

// Source says how the loader found an object.
type Source uint8

// Where an object came from, in the order glibc tries them.
const (
	SourceNone    Source = iota // not found
	SourceMain                  // the program itself
	SourceInterp                // the program interpreter (PT_INTERP)
	SourceDirect                // a DT_NEEDED name containing '/'
	SourceRPath                 // DT_RPATH of the object, its loaders or the executable
	SourceEnv                   // LD_LIBRARY_PATH
	SourceRunPath               // DT_RUNPATH of the object
	SourceCache                 // ld.so.cache (or ld.so.conf in a root without one)
	SourceDefault               // the loader's default directories
)

// String names the search step ("rpath", "cache", ...).
func (s Source) String() string {
	return [...]string{"not found", "main", "interpreter", "direct", "rpath", "LD_LIBRARY_PATH", "runpath", "cache", "default"}[min(int(s), 8)]
}

// MarshalText makes Source readable in JSON.
func (s Source) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Object is one node of the link map: the program, its interpreter, or a
// library, or a library that could not be found (Path "" and Err set).
type Object struct {
	// Name is how the object was first asked for: the DT_NEEDED string
	// with its DSTs expanded (as the loader searches for and prints it), or
	// the path for the program and the interpreter.
	Name string
	// Path is where it was found, as the loader names it (inside the root).
	Path string
	// Info is the object's ELF information (nil when not found).
	Info *Info
	// Source says which search step found it.
	Source Source
	// Loader is the object whose DT_NEEDED loaded it first (nil for the
	// program and the interpreter).
	Loader *Object
	// Needed has one element per DT_NEEDED entry, in order, pointing at the
	// object that satisfied it (shared when several objects need it).
	Needed []*Object
	// Err says why a library was not found or could not be used.
	Err error

	names []string
	id    fileID
}

// Missing reports whether the object could not be loaded.
func (o *Object) Missing() bool { return o.Path == "" }

// Chain returns the paths from the program down to the object that needed
// this one (the program first).
func (o *Object) Chain() []string {
	var c []string
	for l := o.Loader; l != nil; l = l.Loader {
		c = append(c, l.Path)
	}
	for i, j := 0, len(c)-1; i < j; i, j = i+1, j-1 {
		c[i], c[j] = c[j], c[i]
	}
	return c
}

// Result is a resolved program.
type Result struct {
	// Main is the program (or library) that was resolved.
	Main *Object
	// Interp is the program interpreter (the main's PT_INTERP, or the
	// platform's loader when it has none); nil for a static program.
	Interp *Object
	// Order is the link map in load order as `ld.so --list` prints it:
	// breadth-first over DT_NEEDED, each object once, the interpreter
	// where it is first needed. The program and the vDSO are not in it.
	Order []*Object
	// Missing lists the libraries that were not found, in load order.
	Missing []*Object
	// Platform is the conventions used (from the program's ABI).
	Platform Platform
}

var errNotRegular = errors.New("cannot read file data: not a regular file")

type fileID struct{ dev, ino uint64 }

type fileEntry struct {
	once sync.Once
	info *Info
	id   fileID
	err  error
}

type dirEntry struct {
	once  sync.Once
	names map[string]bool
}

// Resolver finds the libraries of ELF files as glibc's dynamic loader
// would. The zero value resolves on the host with no LD_LIBRARY_PATH. A
// Resolver caches what it reads (files, directory listings, the cache) and
// is safe for concurrent use; make a new one to see changes on disk.
type Resolver struct {
	// Root is the directory that is "/" for the loader (a sysroot, a
	// foreign root file system, an unpacked image). "" is the host.
	Root string
	// LibraryPath is an LD_LIBRARY_PATH value (split on ':' and ';').
	LibraryPath string
	// Dir is the working directory for relative search paths; "" means the
	// process's own (the host) or "/" (a root).
	Dir string
	// Cache replaces the root's /etc/ld.so.cache when set.
	Cache *Cache
	// NoCache ignores /etc/ld.so.cache (and ld.so.conf) entirely.
	NoCache bool
	// Platform replaces the conventions derived from each program's ABI
	// (HostPlatform for the host's own ABI, PlatformFor otherwise).
	Platform *Platform
	// OriginAsGiven takes the program's $ORIGIN from the path as given
	// instead of its real path. A program that is run gets the directory of
	// /proc/self/exe (symlinks resolved, the default); `ld.so --list LINK`
	// and `ld.so LINK` use the link's own directory.
	OriginAsGiven bool

	initOnce sync.Once
	initErr  error
	cache    *Cache
	confDirs []string
	mu       sync.Mutex
	files    map[string]*fileEntry
	dirs     map[string]*dirEntry
}

func (r *Resolver) init() error {
	r.initOnce.Do(func() {
		r.files = map[string]*fileEntry{}
		r.dirs = map[string]*dirEntry{}
		if r.NoCache {
			return
		}
		if r.Cache != nil {
			r.cache = r.Cache
			return
		}
		cp, err := ResolveInRoot(r.Root, "/etc/ld.so.cache")
		if err != nil {
			r.initErr = err
			return
		}
		c, err := LoadCache(cp)
		if err == nil {
			r.cache = c
			return
		}
		if !errors.Is(err, fs.ErrNotExist) {
			r.initErr = err
			return
		}
		// No cache: use what ldconfig would have put in it.
		dirs, err := ParseLDConf(r.Root, "/etc/ld.so.conf")
		if errors.Is(err, fs.ErrNotExist) {
			if m, _ := globInRoot(r.Root, "/etc/ld.so.conf.d/*.conf"); len(m) > 0 {
				dirs = nil
				for _, f := range m {
					d, err := ParseLDConf(r.Root, f)
					if err != nil && !errors.Is(err, fs.ErrNotExist) {
						r.initErr = err
						return
					}
					dirs = append(dirs, d...)
				}
				err = nil
			}
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			r.initErr = err
			return
		}
		r.confDirs = dirs
	})
	return r.initErr
}

// LoadedCache returns the ld.so.cache the resolver uses (nil when there is
// none), and the ld.so.conf directories used in its place.
func (r *Resolver) LoadedCache() (*Cache, []string, error) {
	err := r.init()
	return r.cache, r.confDirs, err
}

func (r *Resolver) workDir() string {
	if r.Dir != "" {
		return r.Dir
	}
	if cleanRoot(r.Root) != "" {
		return "/"
	}
	wd, err := os.Getwd()
	if err != nil {
		return "/"
	}
	return wd
}

// abs makes p absolute against the working directory (inside the root).
func (r *Resolver) abs(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return strings.TrimSuffix(r.workDir(), "/") + "/" + p
}

// file inspects a path inside the root, once per resolver.
func (r *Resolver) file(p string) *fileEntry {
	p = r.abs(p)
	r.mu.Lock()
	e := r.files[p]
	if e == nil {
		e = &fileEntry{}
		r.files[p] = e
	}
	r.mu.Unlock()
	e.once.Do(func() { e.info, e.id, e.err = r.inspectInRoot(p) })
	return e
}

func (r *Resolver) inspectInRoot(p string) (*Info, fileID, error) {
	hp, err := ResolveInRoot(r.Root, p)
	if err != nil {
		return nil, fileID{}, err
	}
	f, st, err := openRegular(hp, p)
	if err != nil {
		return nil, fileID{}, err
	}
	defer f.Close()
	var id fileID
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		id = fileID{uint64(sys.Dev), uint64(sys.Ino)}
	}
	info, err := inspect(p, f, st.Size())
	return info, id, err
}

// has reports whether directory dir (inside the root) exists and whether
// it has an entry name.
func (r *Resolver) has(dir, name string) (dirExists, present bool) {
	dir = r.abs(dir)
	r.mu.Lock()
	e := r.dirs[dir]
	if e == nil {
		e = &dirEntry{}
		r.dirs[dir] = e
	}
	r.mu.Unlock()
	e.once.Do(func() {
		hp, err := ResolveInRoot(r.Root, dir)
		if err != nil {
			return
		}
		f, err := os.OpenFile(hp, os.O_RDONLY|syscall.O_NONBLOCK|syscall.O_DIRECTORY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		names, err := f.Readdirnames(-1)
		if err != nil && len(names) == 0 {
			return // not a directory
		}
		e.names = make(map[string]bool, len(names))
		for _, n := range names {
			e.names[n] = true
		}
	})
	return e.names != nil, e.names[name]
}

// state is one resolution: the link map being built.
type state struct {
	r       *Resolver
	plat    *Platform
	main    *Object
	byName  map[string]*Object
	byID    map[fileID]*Object
	order   []*Object
	inOrder map[*Object]bool
	missing []*Object
	origins map[*Object]string
}

func (s *state) register(o *Object, names ...string) {
	for _, n := range names {
		if n == "" {
			continue
		}
		if _, ok := s.byName[n]; !ok {
			s.byName[n] = o
			o.names = append(o.names, n)
		}
	}
	if o.Info != nil && o.Info.Soname != "" {
		if _, ok := s.byName[o.Info.Soname]; !ok {
			s.byName[o.Info.Soname] = o
		}
	}
	if o.id != (fileID{}) {
		if _, ok := s.byID[o.id]; !ok {
			s.byID[o.id] = o
		}
	}
}

// Resolve loads the program at path (inside the root) the way the dynamic
// loader would and returns its link map. Errors are for the program itself
// (unreadable, not ELF, malformed) and for a malformed cache; libraries that
// cannot be found are reported in Result.Missing.
func (r *Resolver) Resolve(ctx context.Context, file string) (*Result, error) {
	if err := r.init(); err != nil {
		return nil, err
	}
	me := r.file(file)
	if me.err != nil {
		return nil, me.err
	}
	mainPath := file
	main := &Object{Name: file, Path: mainPath, Info: me.info, Source: SourceMain, id: me.id}
	var plat Platform
	switch {
	case r.Platform != nil:
		plat = *r.Platform
	default:
		hp := HostPlatform()
		if cleanRoot(r.Root) == "" && hp.Class == me.info.Class && hp.Machine == me.info.Machine && hp.Data == me.info.Data {
			plat = hp
		} else {
			plat = PlatformFor(me.info.Class, me.info.Data, me.info.Machine)
		}
	}
	if r.Platform == nil && (plat.Machine == elf.EM_386 || plat.Machine == elf.EM_X86_64 && plat.Class == elf.ELFCLASS32) {
		interp := me.info.Interp
		if interp == "" {
			interp = plat.Loader
		}
		if real, err := realPathInRoot(r.Root, interp); err == nil {
			plat = multilibFor(plat, real)
		}
	}
	res := &Result{Main: main, Platform: plat}
	if me.info.DynamicEmpty {
		return nil, fmt.Errorf("%s: object file has no dynamic section (PT_DYNAMIC has no file contents)", file)
	}
	if !me.info.Dynamic {
		return res, nil
	}
	s := &state{
		r: r, plat: &res.Platform, main: main,
		byName: map[string]*Object{}, byID: map[fileID]*Object{},
		inOrder: map[*Object]bool{}, origins: map[*Object]string{},
	}
	// The program's $ORIGIN is the directory of its real path, as the
	// kernel reports /proc/self/exe.
	if rp, err := realPathInRoot(r.Root, r.abs(file)); err == nil && !r.OriginAsGiven {
		s.origins[main] = path2dir(rp)
	} else {
		s.origins[main] = path2dir(r.abs(file))
	}
	s.register(main, mainPath)
	interp := me.info.Interp
	if interp == "" {
		interp = plat.Loader
	}
	if interp != "" {
		ld := &Object{Name: interp, Path: interp, Source: SourceInterp}
		le := r.file(interp)
		if le.err != nil {
			ld.Path, ld.Err = "", fmt.Errorf("program interpreter %s: %w", interp, le.err)
			ld.Source = SourceNone
			res.Missing = append(res.Missing, ld)
		} else {
			ld.Info, ld.id = le.info, le.id
			s.register(ld, interp, path.Base(interp))
		}
		res.Interp = ld
	}
	// Breadth-first over DT_NEEDED. The link map (what --list prints) is
	// in load order; libraries not found get placeholder entries there
	// but stay out of the search list. The interpreter is already in
	// memory: glibc moves it to just after its predecessor in the search
	// list, and leaves it out when nothing needs it.
	queue := []*Object{main}
	var lastReal *Object = main
	var ldAfter *Object
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		o := queue[0]
		queue = queue[1:]
		for _, name := range o.Info.Needed {
			dep := s.load(o, name)
			o.Needed = append(o.Needed, dep)
			if dep == main || s.inOrder[dep] {
				continue
			}
			s.inOrder[dep] = true
			if dep.Missing() {
				s.order = append(s.order, dep)
				s.missing = append(s.missing, dep)
				continue
			}
			if dep == res.Interp {
				ldAfter = lastReal
			} else {
				s.order = append(s.order, dep)
			}
			lastReal = dep
			queue = append(queue, dep)
		}
	}
	if ldAfter != nil {
		at := 0
		if ldAfter != main {
			for i, o := range s.order {
				if o == ldAfter {
					at = i + 1
					break
				}
			}
		}
		s.order = append(s.order[:at], append([]*Object{res.Interp}, s.order[at:]...)...)
	}
	res.Order = s.order
	res.Missing = append(res.Missing, s.missing...)
	return res, nil
}

// path2dir cuts the last component off p without cleaning the rest, as
// glibc computes l_origin: "/a/b/../lib/libx.so" has the origin
// "/a/b/../lib", which is not "/a/lib" when b is a symbolic link.
func path2dir(p string) string {
	i := strings.LastIndexByte(p, '/')
	switch {
	case i < 0:
		return "."
	case i == 0:
		return "/"
	}
	return p[:i]
}

// load finds the object for one DT_NEEDED name of loader.
func (s *state) load(loader *Object, name string) *Object {
	// glibc expands the DSTs of every DT_NEEDED name first (dl-deps.c), with
	// or without a slash; the expanded name is what is searched, matched
	// and printed.
	if strings.Contains(name, "$") {
		p, ok := s.expand(name, loader)
		if !ok {
			return s.fail(loader, name, fmt.Errorf("%s: empty dynamic string token substitution", name))
		}
		name = p
	}
	if o, ok := s.byName[name]; ok {
		return o
	}
	if strings.Contains(name, "/") {
		p := name
		e := s.r.file(p)
		if e.err != nil {
			return s.fail(loader, name, e.err)
		}
		if err := s.verify(e.info); err != nil {
			return s.fail(loader, name, err)
		}
		// The loader names such an object by its expanded path.
		o := s.found(loader, p, p, e, SourceDirect)
		s.register(o, name)
		return o
	}
	li := loader.Info
	// 1. DT_RPATH of the loader, its loaders and the executable, unless the
	// loader has DT_RUNPATH.
	if !li.HasRunPath {
		didMain := false
		for l := loader; l != nil; l = l.Loader {
			if l.Info.HasRPath && !l.Info.HasRunPath {
				if o := s.searchList(loader, name, s.dirs(l.Info.RPath, l), SourceRPath); o != nil {
					return o
				}
				didMain = didMain || l == s.main
			}
		}
		if !didMain && s.main.Info.HasRPath && !s.main.Info.HasRunPath {
			if o := s.searchList(loader, name, s.dirs(s.main.Info.RPath, s.main), SourceRPath); o != nil {
				return o
			}
		}
	}
	// 2. LD_LIBRARY_PATH.
	if s.r.LibraryPath != "" {
		elems := strings.Split(strings.ReplaceAll(s.r.LibraryPath, ";", ":"), ":")
		if o := s.searchList(loader, name, s.dirs(elems, s.main), SourceEnv); o != nil {
			return o
		}
	}
	// 3. DT_RUNPATH of the loader.
	if li.HasRunPath {
		if o := s.searchList(loader, name, s.dirs(li.RunPath, loader), SourceRunPath); o != nil {
			return o
		}
	}
	nodef := li.NoDefaultLib()
	// 4. The cache (or ld.so.conf where there is none).
	if c := s.r.cache; c != nil {
		if e, ok := c.Lookup(name, s.plat.CacheFlagsOK, s.plat.HWCaps); ok && !(nodef && s.inSystemDir(e.Path)) {
			if fe := s.r.file(e.Path); fe.err == nil && s.verify(fe.info) == nil {
				return s.found(loader, name, e.Path, fe, SourceCache)
			}
		}
	} else if len(s.r.confDirs) > 0 {
		var dirs []string
		for _, d := range s.r.confDirs {
			if !(nodef && s.inSystemDir(d+"/")) {
				dirs = append(dirs, d)
			}
		}
		if o := s.searchList(loader, name, dirs, SourceCache); o != nil {
			return o
		}
	}
	// 5. The default directories.
	if !nodef {
		if o := s.searchList(loader, name, s.plat.DefaultDirs, SourceDefault); o != nil {
			return o
		}
	}
	return s.fail(loader, name, fmt.Errorf("%s: %w", name, ErrNotFound))
}

func (s *state) inSystemDir(p string) bool {
	for _, d := range s.plat.DefaultDirs {
		if strings.HasPrefix(p, strings.TrimSuffix(d, "/")+"/") {
			return true
		}
	}
	return false
}

// dirs expands the DSTs of a search path list for object o. Empty elements
// stay "": the working directory, where glibc opens the bare name (and names
// the object "liby.so", not "./liby.so").
func (s *state) dirs(list []string, o *Object) []string {
	out := make([]string, 0, len(list))
	for _, e := range list {
		d, ok := s.expand(e, o)
		if !ok {
			continue
		}
		out = append(out, trimSlashes(d))
	}
	return out
}

// joinDir is dir/name, or name for the empty (working) directory.
func joinDir(dir, name string) string {
	switch dir {
	case "":
		return name
	case "/":
		return "/" + name
	}
	return dir + "/" + name
}

// expand substitutes $ORIGIN, $LIB and $PLATFORM (also in braces). A token
// without a value drops the element (ok false), as glibc does.
func (s *state) expand(v string, o *Object) (string, bool) {
	if !strings.Contains(v, "$") {
		return v, true
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '$' {
			b.WriteByte(v[i])
			continue
		}
		rest := v[i+1:]
		matched := false
		for _, tok := range [...]string{"ORIGIN", "PLATFORM", "LIB"} {
			n := dstLen(rest, tok)
			if n == 0 {
				continue
			}
			var val string
			switch tok {
			case "ORIGIN":
				val = s.origin(o)
			case "PLATFORM":
				val = s.plat.Name
			case "LIB":
				val = s.plat.Lib
			}
			if val == "" {
				return "", false
			}
			b.WriteString(val)
			i += n
			matched = true
			break
		}
		if !matched {
			b.WriteByte('$')
		}
	}
	return b.String(), true
}

func dstLen(s, tok string) int {
	if strings.HasPrefix(s, "{"+tok+"}") {
		return len(tok) + 2
	}
	if !strings.HasPrefix(s, tok) {
		return 0
	}
	if len(s) > len(tok) {
		c := s[len(tok)]
		if c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			return 0
		}
	}
	return len(tok)
}

func (s *state) origin(o *Object) string {
	if d, ok := s.origins[o]; ok {
		return d
	}
	if o.Path == "" {
		return ""
	}
	d := path2dir(s.r.abs(o.Path))
	s.origins[o] = d
	return d
}

// searchList tries name in each directory (glibc-hwcaps and legacy
// subdirectories first) and returns the loaded object, or nil. As in
// glibc's open_path, a file that exists in a directory but cannot be opened
// for a reason other than "no such file" or "permission denied" (a symlink
// loop, say) ends the search of this list.
func (s *state) searchList(loader *Object, name string, dirs []string, src Source) *Object {
	for _, d := range dirs {
		for _, sub := range s.plat.HWCaps {
			if o, _ := s.try(loader, name, joinDir(d, "glibc-hwcaps/"+sub), src); o != nil {
				return o
			}
		}
		for _, sub := range s.plat.LegacySubdirs {
			if o, _ := s.try(loader, name, joinDir(d, sub), src); o != nil {
				return o
			}
		}
		o, stop := s.try(loader, name, d, src)
		if o != nil {
			return o
		}
		if stop {
			return nil
		}
	}
	return nil
}

func (s *state) try(loader *Object, name, dir string, src Source) (*Object, bool) {
	exists, present := s.r.has(dir, name)
	if !present {
		return nil, false
	}
	p := joinDir(dir, name)
	if o, ok := s.byName[p]; ok {
		s.register(o, name)
		return o, false
	}
	e := s.r.file(p)
	if e.err != nil {
		if errors.Is(e.err, ErrNotELF) || errors.Is(e.err, ErrMalformed) || errors.Is(e.err, errNotRegular) {
			return s.fail(loader, name, e.err), false
		}
		if errors.Is(e.err, fs.ErrNotExist) || errors.Is(e.err, fs.ErrPermission) {
			return nil, false
		}
		return nil, exists
	}
	if !s.compatible(e.info) {
		return nil, false
	}
	if err := s.verify(e.info); err != nil {
		return s.fail(loader, name, err), false
	}
	return s.found(loader, name, p, e, src), false
}

func (s *state) compatible(i *Info) bool {
	return i.Class == s.plat.Class && i.Data == s.plat.Data && i.Machine == s.plat.Machine
}

// verify applies open_verify's checks beyond class and machine.
func (s *state) verify(i *Info) error {
	if !s.compatible(i) {
		return fmt.Errorf("%s: wrong ELF class or machine (%v %v, want %v %v)", i.Path, i.Class, i.Machine, s.plat.Class, s.plat.Machine)
	}
	if i.OSABI != 0 && i.OSABI != 3 {
		return fmt.Errorf("%s: ELF file OS ABI %v invalid", i.Path, i.OSABI)
	}
	if i.DynamicEmpty {
		return fmt.Errorf("%s: object file has no dynamic section", i.Path)
	}
	switch i.Kind {
	case KindExecutable:
		return fmt.Errorf("%s: cannot dynamically load executable", i.Path)
	case KindPIE:
		if i.Flags1&elf.DF_1_PIE != 0 {
			return fmt.Errorf("%s: cannot dynamically load position-independent executable", i.Path)
		}
	case KindOther:
		return fmt.Errorf("%s: only ET_DYN and ET_EXEC can be loaded", i.Path)
	}
	return nil
}

func (s *state) found(loader *Object, name, p string, e *fileEntry, src Source) *Object {
	if o, ok := s.byID[e.id]; ok && e.id != (fileID{}) {
		s.register(o, name, p)
		return o
	}
	o := &Object{Name: name, Path: p, Info: e.info, Source: src, Loader: loader, id: e.id}
	s.register(o, name, p)
	return o
}

func (s *state) fail(loader *Object, name string, err error) *Object {
	// glibc's placeholder for a missing library (trace mode) is never
	// matched by name: every later DT_NEEDED of it searches again and
	// gets a placeholder of its own.
	return &Object{Name: name, Loader: loader, Err: err}
}
