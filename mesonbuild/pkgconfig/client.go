package pkgconfig

import (
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// Variable is a name and a value, as given to --define-variable.
type Variable struct {
	Name, Value string
}

// Options configure a Client. The zero value behaves like pkgconf run with
// no flags in the process's environment.
type Options struct {
	// Env is the environment the PKG_CONFIG_* variables are read from, as
	// "KEY=value" strings. Nil means the process environment.
	Env []string
	// Personality supplies the default search path and system directories;
	// nil means DefaultPersonality().
	Personality *Personality
	// WithPath lists directories added after the personality's default
	// search path, as pkgconf 1.8's --with-path does (so they are ignored
	// when PKG_CONFIG_LIBDIR is set, and with EnvOnly).
	WithPath []string
	// Define are --define-variable settings; they override every
	// package's variable of that name.
	Define []Variable
	// Static asks for static linking: Libs.private, Cflags.private and the
	// Requires.private graph (--static).
	Static bool
	// Shared overrides Static and a personality's default (--shared).
	Shared bool
	// Pure walks Requires.private with Static but does not add
	// Libs.private/Cflags.private (--pure).
	Pure bool
	// KeepSystemCflags and KeepSystemLibs keep -I/-L flags naming system
	// directories (--keep-system-cflags/libs; also set by
	// PKG_CONFIG_ALLOW_SYSTEM_CFLAGS/LIBS in Env).
	KeepSystemCflags, KeepSystemLibs bool
	// EnvOnly searches only PKG_CONFIG_PATH (--env-only).
	EnvOnly bool
	// NoUninstalled ignores foo-uninstalled.pc files (--no-uninstalled;
	// also PKG_CONFIG_DISABLE_UNINSTALLED).
	NoUninstalled bool
	// IgnoreConflicts skips Conflicts rules (--ignore-conflicts; also
	// PKG_CONFIG_IGNORE_CONFLICTS).
	IgnoreConflicts bool
	// NoProvides disables Provides fallback (--no-provides).
	NoProvides bool
	// InternalCflags keeps the Cflags of Requires.internal packages
	// (--internal-cflags).
	InternalCflags bool
	// MaxDepth bounds the Requires walk (--maximum-traverse-depth);
	// 0 means PKG_CONFIG_MAXIMUM_TRAVERSE_DEPTH or 2000.
	MaxDepth int
	// Sysroot, when non-nil, replaces PKG_CONFIG_SYSROOT_DIR (a pointer
	// to "" is that variable set to the empty string: ${pc_sysrootdir}
	// is then empty, as in pkgconf).
	Sysroot *string
	// NoPreload keeps the client from reading ahead: by default, once it
	// has listed its search directories (see the package documentation,
	// Cost) and there is more than one CPU, a background goroutine reads
	// every .pc file of the search path that is a regular file (FIFOs and
	// devices are left to the lookups that name them) into the cache. A
	// process that answers one query and exits (the command) gains
	// nothing from it.
	NoPreload bool
	// Warn, when set, receives the warnings pkgconf --validate prints,
	// each time pkgconf would read a file (a search that was not cached, or
	// a scan of every file for Provides or --list-all).
	Warn func(Diagnostic)
}

// Client answers pkg-config queries. It reads each .pc file at most once
// and is safe for concurrent use.
type Client struct {
	opts    Options
	env     map[string]string
	pers    *Personality
	dirs    []string
	filterI []string
	filterL []string
	sysroot string
	// sysrootSet: a sysroot was given (Options.Sysroot,
	// PKG_CONFIG_SYSROOT_DIR or the personality), possibly "";
	// pkgconf's client->sysroot_dir != NULL
	sysrootSet bool
	globals    map[string]string
	maxDepth   int

	fdoSysroot     bool
	searchPrivate  bool
	mergePrivate   bool
	keepSysCflags  bool
	keepSysLibs    bool
	noUninstalled  bool
	skipConflicts  bool
	skipProvides   bool
	internalCflags bool
	noPrune        bool // tests: walk every path as pkgconf does (see pruner)

	st *state // shared by views made with WithStatic
}

type state struct {
	mu sync.Mutex
	// byName is pkgconf's cache, by id; a nil entry records a name that
	// no search directory holds (every probe failed to open with ENOENT
	// or ENOTDIR), until the search path grows
	byName    map[string]*Package
	byPath    map[string]loaded // files read, by path (+"\x00u" when read as uninstalled)
	extraDirs []string          // directories of .pc files named on the command line
	nextIdx   atomic.Int32
	lmem      *loadMem // lent to one loader at a time
	// absent counts lookups of a file that was not there; past
	// indexAfter, each search directory is listed once (see dirIndex)
	absent atomic.Int32
	index  map[string]*dirIndex // nil value: the directory cannot be indexed
	// preloading is set once the background reader has been started
	// (see preload.go)
	preloading bool
}

// indexAfter is how many failed opens a client makes before it lists the
// search directories instead: listing a directory of a few hundred names
// costs about as much as 35 failed opens, so a single query does not list
// (as pkgconf never does) and a client that resolves many modules does.
const indexAfter = 40

// maxVisits bounds one walk of a query's graph (see ErrGraphTooLarge).
const maxVisits = 1_000_000

type loaded struct {
	pkg *Package
	err error
}

// New makes a client from opts, building the search path now.
func New(opts Options) (*Client, error) {
	c := &Client{opts: opts, st: &state{byName: make(map[string]*Package, 64), byPath: make(map[string]loaded, 64)}}
	c.env = map[string]string{}
	env := opts.Env
	if env == nil {
		env = os.Environ()
	}
	for _, kv := range env {
		// only the variables a client reads are kept
		if k, v, ok := strings.Cut(kv, "="); ok && clientReads(k) {
			c.env[k] = v
		}
	}
	c.pers = opts.Personality
	if c.pers == nil {
		c.pers = DefaultPersonality()
	}
	c.setup()
	return c, nil
}

// clientReads reports whether a client uses the environment variable k.
func clientReads(k string) bool {
	switch k {
	case "LIBRARY_PATH", "CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "OBJC_INCLUDE_PATH":
		return true
	}
	return strings.HasPrefix(k, "PKG_CONFIG_")
}

func (c *Client) getenv(k string) (string, bool) {
	v, ok := c.env[k]
	return v, ok
}

func (c *Client) setup() {
	o := c.opts
	_, fdo := c.getenv("PKG_CONFIG_FDO_SYSROOT_RULES")
	c.fdoSysroot = fdo
	c.searchPrivate = (o.Static || c.pers.WantDefaultStatic) && !o.Shared
	c.mergePrivate = c.searchPrivate && !o.Pure && !c.pers.WantDefaultPure
	_, ac := c.getenv("PKG_CONFIG_ALLOW_SYSTEM_CFLAGS")
	_, al := c.getenv("PKG_CONFIG_ALLOW_SYSTEM_LIBS")
	c.keepSysCflags = o.KeepSystemCflags || ac
	c.keepSysLibs = o.KeepSystemLibs || al
	_, du := c.getenv("PKG_CONFIG_DISABLE_UNINSTALLED")
	c.noUninstalled = o.NoUninstalled || du
	_, ic := c.getenv("PKG_CONFIG_IGNORE_CONFLICTS")
	c.skipConflicts = o.IgnoreConflicts || ic
	c.skipProvides = o.NoProvides
	c.internalCflags = o.InternalCflags
	c.maxDepth = o.MaxDepth
	if c.maxDepth == 0 {
		c.maxDepth = 2000
		if v, ok := c.getenv("PKG_CONFIG_MAXIMUM_TRAVERSE_DEPTH"); ok {
			c.maxDepth = atoi(v)
		}
	}

	// sysroot and the built-in globals
	c.globals = map[string]string{}
	sysroot, set := "", true
	if o.Sysroot != nil {
		sysroot = *o.Sysroot
	} else if v, ok := c.getenv("PKG_CONFIG_SYSROOT_DIR"); ok {
		sysroot = v
	} else if c.pers.SysrootDir != "" {
		sysroot = c.pers.SysrootDir
	} else {
		set = false
	}
	c.sysroot, c.sysrootSet = sysroot, set
	if !set {
		c.globals["pc_sysrootdir"] = "/"
	} else {
		// a sysroot set to "" is pkgconf's too: ${pc_sysrootdir} is
		// empty, and the doubled-sysroot cleanup applies to every
		// absolute value (see expander.finish)
		c.globals["pc_sysrootdir"] = sysroot
	}
	if v, ok := c.getenv("PKG_CONFIG_TOP_BUILD_DIR"); ok {
		c.globals["pc_top_builddir"] = v
	} else {
		c.globals["pc_top_builddir"] = "$(top_builddir)"
	}
	for _, d := range o.Define {
		c.globals[d.Name] = d.Value
	}

	// system directories
	if v, ok := c.getenv("PKG_CONFIG_SYSTEM_LIBRARY_PATH"); ok {
		c.filterL = pathList(v)
	} else {
		c.filterL = append([]string(nil), c.pers.SystemLibraryPaths...)
	}
	if v, ok := c.getenv("PKG_CONFIG_SYSTEM_INCLUDE_PATH"); ok {
		c.filterI = pathList(v)
	} else {
		c.filterI = append([]string(nil), c.pers.SystemIncludePaths...)
	}
	if v, ok := c.getenv("LIBRARY_PATH"); ok {
		c.filterL = append(c.filterL, pathList(v)...)
	}
	for _, k := range []string{"CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "OBJC_INCLUDE_PATH"} {
		if v, ok := c.getenv(k); ok {
			c.filterI = append(c.filterI, pathList(v)...)
		}
	}

	// search path: PKG_CONFIG_PATH, then PKG_CONFIG_LIBDIR or the
	// personality's default followed by --with-path
	var dl dirList
	if v, ok := c.getenv("PKG_CONFIG_PATH"); ok {
		for _, d := range splitPathList(v) {
			dl.add(d, true)
		}
	}
	if !o.EnvOnly {
		if v, ok := c.getenv("PKG_CONFIG_LIBDIR"); ok {
			var lib dirList
			for _, d := range splitPathList(v) {
				lib.add(d, true)
			}
			dl.dirs = append(dl.dirs, lib.dirs...)
		} else {
			var def dirList
			for _, d := range c.pers.DefaultSearchPath {
				def.add(d, c.pers.filterDefault)
			}
			for _, d := range o.WithPath {
				def.add(d, true)
			}
			dl.dirs = append(dl.dirs, def.dirs...)
		}
	}
	c.dirs = dl.paths()
}

func pathList(v string) []string {
	var out []string
	for _, d := range splitPathList(v) {
		out = append(out, normPath(d))
	}
	return out
}

func atoi(s string) int {
	n := 0
	neg := false
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-") {
		neg = true
		s = s[1:]
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	if neg {
		return -n
	}
	return n
}

// dirList is pkgconf's path list: with filtering, a directory that does
// not exist, or that is already listed (same path or same inode), is not
// added.
type dirList struct {
	dirs []dirEntry
}

type dirEntry struct {
	path     string
	dev, ino uint64
	filtered bool
}

func (l *dirList) add(p string, filter bool) {
	e := dirEntry{path: normPath(p)}
	if filter {
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err != nil {
			return
		}
		for _, o := range l.dirs {
			if (o.filtered && o.dev == uint64(st.Dev) && o.ino == uint64(st.Ino)) || o.path == p {
				return
			}
		}
		e.dev, e.ino, e.filtered = uint64(st.Dev), uint64(st.Ino), true
	}
	l.dirs = append(l.dirs, e)
}

func (l *dirList) paths() []string {
	out := make([]string, len(l.dirs))
	for i, d := range l.dirs {
		out[i] = d.path
	}
	return out
}

// SearchPath returns the directories searched, in order.
func (c *Client) SearchPath() []string {
	c.st.mu.Lock()
	defer c.st.mu.Unlock()
	return append(append([]string(nil), c.dirs...), c.st.extraDirs...)
}

// searchDirs is SearchPath without the copy when no directory was added
// by a query naming a .pc file; callers must not modify the result.
func (c *Client) searchDirs() []string {
	c.st.mu.Lock()
	extra := c.st.extraDirs
	c.st.mu.Unlock()
	if len(extra) == 0 {
		return c.dirs
	}
	return append(append(make([]string, 0, len(c.dirs)+len(extra)), c.dirs...), extra...)
}

// Sysroot returns the sysroot in effect ("" for none).
func (c *Client) Sysroot() string { return c.sysroot }

// WithStatic returns a view of c that resolves with (or without) --static.
// It shares c's cache of parsed files.
func (c *Client) WithStatic(static bool) *Client {
	d := *c
	d.opts.Static = static
	d.searchPrivate = (static || c.pers.WantDefaultStatic) && !c.opts.Shared
	d.mergePrivate = d.searchPrivate && !c.opts.Pure && !c.pers.WantDefaultPure
	return &d
}

// Personality returns the personality in use.
func (c *Client) Personality() *Personality { return c.pers }

// builtin returns pkgconf's virtual packages "pkg-config" and "pkgconf".
func (c *Client) builtin(name string) *Package {
	if name != "pkg-config" && name != "pkgconf" {
		return nil
	}
	p := &Package{ID: name, Name: name, Version: PkgconfVersion, virtual: true,
		Description: "virtual package defining pkg-config API version supported",
		URL:         "https://github.com/pkgconf/pkgconf/issues"}
	p.vars.set("pc_system_libdirs", strings.Join(c.pers.SystemLibraryPaths, ":"), nil)
	p.vars.set("pc_system_includedirs", strings.Join(c.pers.SystemIncludePaths, ":"), nil)
	p.vars.set("pc_path", CompiledSearchPath(), nil)
	p.Provides = []Dependency{{Name: name, Op: Equal, Version: PkgconfVersion, HasVersion: true}}
	return p
}

// PkgconfVersion is the pkgconf release whose behaviour this package
// reproduces.
const PkgconfVersion = "1.8.1"

// Find returns the package a name resolves to, without checking its
// dependencies: a path ending in .pc is read directly, then pkgconf's
// built-in packages, then the first directory of the search path holding
// NAME-uninstalled.pc or NAME.pc. Provides are not consulted (see
// Resolve). A missing package is a *NotFoundError.
func (c *Client) Find(name string) (*Package, error) {
	if p := c.find(name); p != nil {
		return p, nil
	}
	return nil, &NotFoundError{Name: name, RequiredBy: "virtual:world", SearchPath: c.SearchPath()}
}

func (c *Client) find(name string) *Package {
	if hasSuffixFold(name, ".pc") {
		if p, _ := c.load(name, false); p != nil {
			c.st.mu.Lock()
			addDir := true
			for _, d := range append(append([]string(nil), c.dirs...), c.st.extraDirs...) {
				if d == p.Dir {
					addDir = false
				}
			}
			if addDir {
				c.st.extraDirs = append(c.st.extraDirs, p.Dir)
				// a name missing so far may be in the new directory
				for k, v := range c.st.byName {
					if v == nil {
						delete(c.st.byName, k)
					}
				}
			}
			c.st.byName[p.ID] = p
			c.st.mu.Unlock()
			return p
		}
	}
	if p := c.builtin(name); p != nil {
		return p
	}
	c.st.mu.Lock()
	p, ok := c.st.byName[name]
	c.st.mu.Unlock()
	if ok {
		return p
	}
	return c.search(name)
}

// search looks name up in the search path, as pkgconf does: open
// DIR/NAME-uninstalled.pc and DIR/NAME.pc directly, directory by
// directory (see dirIndex for clients that look up many names).
func (c *Client) search(name string) *Package {
	m := c.mem()
	defer c.putMem(m)
	dirs := c.searchDirs()
	absent := true // every probe failed with ENOENT/ENOTDIR
	var p *Package
	for _, d := range dirs {
		var how probe
		if !c.noUninstalled {
			if p, how = c.probe(m, d, name, "-uninstalled.pc", true); p != nil {
				break
			}
			if how == probeRead {
				// pkgconf opened it (and found it invalid): the installed
				// file of this directory is not tried
				absent = false
				continue
			}
			absent = absent && how == probeAbsent
		}
		if p, how = c.probe(m, d, name, ".pc", false); p != nil {
			break
		}
		absent = absent && how == probeAbsent
	}
	if p != nil || absent {
		c.st.mu.Lock()
		if p != nil {
			c.st.byName[p.ID] = p
		} else if len(c.st.extraDirs) == len(dirs)-len(c.dirs) {
			c.st.byName[name] = nil
		}
		c.st.mu.Unlock()
	}
	return p
}

// dirIndex returns the listing of a search directory once the client has
// made indexAfter failed opens, nil before or when it cannot be listed.
func (c *Client) dirIndex(dir string) *dirIndex {
	if c.st.absent.Load() < indexAfter {
		return nil
	}
	c.st.mu.Lock()
	x, ok := c.st.index[dir]
	c.st.mu.Unlock()
	if ok {
		return x
	}
	x = listDir(dir)
	c.st.mu.Lock()
	if c.st.index == nil {
		c.st.index = map[string]*dirIndex{}
	}
	c.st.index[dir] = x
	c.st.mu.Unlock()
	if x != nil {
		c.startPreload()
	}
	return x
}

// probe is what became of one file a lookup tried.
type probe int

const (
	probeAbsent probe = iota // open failed: ENOENT or ENOTDIR
	probeNoOpen              // open failed otherwise (pkgconf's fopen returned NULL)
	probeRead                // opened, not a valid package
)

// probe loads DIR/NAME+SUFFIX for a lookup (from the cache when it was
// read before), reporting its warnings as load does.
func (c *Client) probe(m *loadMem, dir, name, suffix string, uninstalled bool) (*Package, probe) {
	b := append(m.path[:0], dir...)
	b = append(b, '/')
	b = append(b, name...)
	b = append(b, suffix...)
	m.path = b
	if x := c.dirIndex(dir); x != nil && strings.IndexByte(name, '/') < 0 && strings.IndexByte(name, 0) < 0 &&
		!x.has(b[len(dir)+1:]) {
		return nil, probeAbsent
	}
	p, err, how := c.loadBytes(m, len(b), uninstalled)
	if how == probeAbsent {
		c.st.absent.Add(1)
	}
	if c.opts.Warn != nil && how == probeRead {
		c.warnLoaded(p, err)
	}
	return p, how
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && equalFoldASCII(s[len(s)-len(suffix):], suffix)
}

// Load reads the .pc file at path as this client would (sysroot and
// --define-variable applied). The result is cached.
func (c *Client) Load(path string) (*Package, error) {
	return c.load(path, strings.HasSuffix(path, "-uninstalled.pc"))
}

func (c *Client) load(path string, uninstalled bool) (*Package, error) {
	m := c.mem()
	m.path = append(m.path[:0], path...)
	p, err, how := c.loadBytes(m, len(path), uninstalled)
	c.putMem(m)
	if how != probeRead {
		err = &InvalidFileError{Path: path, Err: &os.PathError{Op: "open", Path: path, Err: err}}
	}
	if c.opts.Warn != nil {
		c.warnLoaded(p, err)
	}
	return p, err
}

// warnLoaded hands the warnings of a file read to Options.Warn.
func (c *Client) warnLoaded(p *Package, err error) {
	var ws []Diagnostic
	if p != nil {
		ws = p.Warnings
	} else if ie, ok := err.(*InvalidFileError); ok {
		ws = ie.Problems
	}
	for _, w := range ws {
		c.opts.Warn(w)
	}
}

// loadBytes reads and evaluates the file whose path is m.path[:n], once
// per client (and per uninstalled flag). A file that could not be opened
// is not cached and comes back as probeAbsent or probeNoOpen with the
// open error (a syscall.Errno); any other failure is an
// *InvalidFileError with probeRead.
func (c *Client) loadBytes(m *loadMem, n int, uninstalled bool) (*Package, error, probe) {
	key := m.path[:n]
	if uninstalled {
		key = append(key, 0, 'u')
	}
	m.path = key
	c.st.mu.Lock()
	l, ok := c.st.byPath[string(key)]
	c.st.mu.Unlock()
	if ok {
		return l.pkg, l.err, probeRead
	}
	fd, err := openFile(append(m.path[:n], 0))
	if err != nil {
		if err == syscall.ENOENT || err == syscall.ENOTDIR {
			return nil, err, probeAbsent
		}
		return nil, err, probeNoOpen
	}
	// the path (and the cache key) live in the text chunk
	if uninstalled {
		m.path = append(m.path[:n], 0, 'u')
	} else {
		m.path = m.path[:n]
	}
	keyStr := m.str(m.path)
	path := keyStr[:n]
	var p *Package
	data, src, err := m.readFile(fd)
	syscall.Close(fd)
	if err != nil {
		err = &InvalidFileError{Path: path, Err: &os.PathError{Op: "read", Path: path, Err: err}}
	} else {
		f := File{Path: path, Entries: m.entries[:0]}
		f.parseText(data, src, false, m)
		p, err = c.evaluateIn(&f, uninstalled, m)
		clear(f.Entries)
		m.entries = f.Entries[:0]
		if p != nil {
			p.idx = c.st.nextIdx.Add(1)
		}
	}
	c.st.mu.Lock()
	if l, ok := c.st.byPath[keyStr]; ok { // another goroutine won
		c.st.mu.Unlock()
		return l.pkg, l.err, probeRead
	}
	c.st.byPath[keyStr] = loaded{pkg: p, err: err}
	c.st.mu.Unlock()
	return p, err, probeRead
}

// maxFileSize bounds what is read of one .pc file (real ones are a few
// KiB): a name that leads to a device such as /dev/zero ends with an error
// instead of filling memory.
const maxFileSize = 16 << 20

var errFileTooLarge = errors.New("larger than 16 MiB: not a .pc file")

// readFile reads the rest of fd into m's text and returns it as bytes and
// as a string over the same memory (which is never written again). A read
// error ends the file, as in pkgconf; only a file over maxFileSize is an
// error.
func (m *loadMem) readFile(fd int) ([]byte, string, error) {
	m.room(4096)
	start := len(m.text)
	for {
		if cap(m.text)-len(m.text) < 512 {
			// move what was read to a chunk with room for more
			part := m.text[start:]
			m.text = nil
			m.room(max(textChunk/2, 2*len(part)+4096))
			start = len(m.text)
			m.text = append(m.text, part...)
		}
		n, err := syscall.Read(fd, m.text[len(m.text):cap(m.text)])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n == 0 {
			// pkgconf reads with fgets, which takes a read error (EISDIR
			// for a directory named like a .pc file) as the end of the
			// file: what was read so far is the file
			break
		}
		m.text = m.text[:len(m.text)+n]
		if len(m.text)-start > maxFileSize {
			m.text = m.text[:start]
			return nil, "", errFileTooLarge
		}
	}
	return m.text[start:len(m.text):len(m.text)], m.textString(start), nil
}

// dirNames lists a directory in the order the kernel returns it
// (readdir order, which pkgconf's scans follow).
func dirNames(dir string) []string {
	// O_DIRECTORY|O_NONBLOCK: a FIFO on the search path fails at once
	// instead of blocking the open
	f, err := os.OpenFile(dir, os.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil
	}
	defer f.Close()
	names, _ := f.Readdirnames(-1)
	return names
}

// scanAll loads every .pc file of the search path in pkgconf's order and
// calls fn for each valid one until fn returns true.
func (c *Client) scanAll(fn func(*Package) bool) *Package {
	for _, d := range c.SearchPath() {
		for _, n := range dirNames(d) {
			path := d + "/" + n
			if !hasSuffixFold(path, ".pc") {
				continue
			}
			p, _ := c.load(path, false)
			if p != nil && fn(p) {
				return p
			}
		}
	}
	return nil
}

// ScanError is a .pc file of the search path that could not be used.
type ScanError struct {
	Path string
	Err  error
}

// List returns every valid package of the search path, in the order
// pkgconf --list-all prints them (directory by directory, in directory
// order, files named -uninstalled.pc excluded), and the files it had to
// skip.
func (c *Client) List() ([]*Package, []ScanError) {
	var pkgs []*Package
	bad := c.ListEach(func(p *Package) { pkgs = append(pkgs, p) })
	return pkgs, bad
}

// ListEach calls fn for each package List returns, in the same order, as
// soon as its file has been read, so that Options.Warn reports a file's
// problems just before its package (as pkgconf --list-all --validate
// prints them). It returns the files it had to skip.
func (c *Client) ListEach(fn func(*Package)) []ScanError {
	var bad []ScanError
	for _, d := range c.SearchPath() {
		for _, n := range dirNames(d) {
			path := d + "/" + n
			if !hasSuffixFold(path, ".pc") {
				continue
			}
			p, err := c.load(path, false)
			if err != nil {
				bad = append(bad, ScanError{Path: path, Err: err})
				continue
			}
			if p != nil && !p.Uninstalled {
				fn(p)
			}
		}
	}
	return bad
}

// parentDir returns the directory part of a path, as pkgconf derives
// ${pcfiledir} (the link's directory for a symlink, in 1.8).
func parentDir(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return path
	}
	return path[:i]
}

func (c *Client) cachedMatch(ref depRef) *Package {
	if ref.p == nil || ref.p.virtual || ref.list >= 2 {
		return nil
	}
	slots := ref.p.match[ref.list]
	if ref.i >= len(slots) {
		return nil
	}
	return slots[ref.i].Load()
}

func (c *Client) storeMatch(ref depRef, p *Package) {
	if ref.p == nil || ref.p.virtual || ref.list >= 2 {
		return
	}
	if slots := ref.p.match[ref.list]; ref.i < len(slots) {
		slots[ref.i].Store(p)
	}
}
