package pkgconfig

import (
	"fmt"
	"math"
	"sync"
)

// Session is one run of queries against a client with pkgconf's
// per-process state: the "not found" notice printed once, and the
// packages each dependency resolved to. The command uses one session per
// invocation; the Client methods use a fresh one per call.
type Session struct {
	c *Client
	// Report, when set, receives each error line pkgconf would print
	// (each ends in "\n").
	Report func(line string)
	// SimplifyErrors drops the explanatory lines (--short-errors).
	SimplifyErrors bool

	noticeSent bool
	visits     int        // packages visited in the current run
	tooLarge   bool       // the run hit maxVisits
	messages   []string   // lines reported during the current run
	ancestors  []*Package // packages whose lists are being walked
	// validated records, per package, the largest depth budget with which
	// its whole graph was checked without error (private walk or not):
	// checking it again cannot fail, so it is skipped.
	// (indexed by Package.idx; absent is math.MinInt32)
	validated [2][]int32
	iterPriv  bool
	// flags for the current walk
	searchPrivate bool
	skipRoot      bool
	matches       []refMatch // what the world's and Conflicts entries resolved to
	// prune, when set, tells walk that the subtree below a package
	// cannot change what is collected (see pruner)
	prune func(*Package) bool
	sc    *scratch // buffers to reuse, from the pool (may be nil)
	pr    *pruner
	prv   pruner // what pr points to
}

type refMatch struct {
	ref depRef
	p   *Package
}

// match returns what ref resolved to in this session.
func (s *Session) match(ref depRef) (*Package, bool) {
	for i := range s.matches {
		if s.matches[i].ref == ref {
			return s.matches[i].p, true
		}
	}
	return nil, false
}

type depRef struct {
	p    *Package
	list int // 0 Requires, 1 Requires.private
	i    int
}

// NewSession starts a session on c.
func (c *Client) NewSession() *Session {
	s := &Session{c: c}
	if sc, ok := scratchPool.Get().(*scratch); ok {
		s.sc = sc
		s.validated = [2][]int32{sc.v0[:0], sc.v1[:0]}
		s.ancestors = sc.ancestors[:0]
	}
	return s
}

// scratch is per-package session state kept for reuse: sessions made by
// the Client methods hand it back when they end.
type scratch struct {
	v0, v1, memo []int32
	noop         []int8
	ancestors    []*Package
}

var scratchPool sync.Pool

// release hands the session's per-package state back for reuse; the
// session must not be used afterwards.
func (s *Session) release() {
	sc := s.sc
	if sc == nil {
		sc = &scratch{}
	}
	sc.v0, sc.v1 = s.validated[0][:0], s.validated[1][:0]
	clear(s.ancestors[:cap(s.ancestors)])
	sc.ancestors = s.ancestors[:0]
	if s.pr != nil {
		sc.memo, sc.noop = s.pr.memo[:0], s.pr.noop[:0]
	}
	if cap(sc.v0)+cap(sc.v1)+cap(sc.memo) > 1<<16 {
		return // do not keep huge buffers
	}
	s.sc, s.pr = nil, nil
	scratchPool.Put(sc)
}

func (s *Session) report(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.messages = append(s.messages, msg)
	if s.Report != nil {
		s.Report(msg)
	}
}

// World is a compiled query: the virtual root package whose Requires are
// the queried dependencies.
type World struct {
	pkg  *Package
	deps []Dependency
	root Package // pkg points here
}

// Compile parses query strings ("foo", "foo >= 1.2", "a, b") into a world.
// As in pkgconf, a query goes through variable expansion first (globals
// such as --define-variable values, and the sysroot rule).
func (c *Client) Compile(queries ...string) *World {
	w := &World{}
	w.root = Package{ID: "virtual:world", Name: "virtual world package", virtual: true}
	w.pkg = &w.root
	e := &expander{c: c, vars: &w.pkg.vars}
	for _, q := range queries {
		w.pkg.Requires = parseDependencies(e.expand(q), w.pkg.Requires)
	}
	w.deps = w.pkg.Requires
	return w
}

type collectFunc func(p *Package)

// verify finds the package for a dependency (Provides fallback included)
// and checks its version.
func (s *Session) verify(ref depRef, d Dependency) (*Package, error) {
	if ref.p != nil && !ref.p.virtual && ref.list < 2 {
		// a package's own lists resolve the same way for the client's
		// whole life once they resolved (pkgconf's pkgdep->match)
		if m := s.c.cachedMatch(ref); m != nil {
			return m, nil
		}
	} else if m, ok := s.match(ref); ok && ref.p != nil {
		return m, nil
	}
	p, _, err := s.verify1(ref, d)
	return p, err
}

// remember records what a dependency resolved to: in the package for its
// own Requires lists, in the session for the world and for Conflicts.
func (s *Session) remember(ref depRef, p *Package) {
	if ref.p != nil && !ref.p.virtual && ref.list < 2 && ref.i < len(ref.p.match[ref.list]) {
		s.c.storeMatch(ref, p)
		return
	}
	for i := range s.matches {
		if s.matches[i].ref == ref {
			s.matches[i].p = p
			return
		}
	}
	s.matches = append(s.matches, refMatch{ref, p})
}

func (s *Session) verify1(ref depRef, d Dependency) (*Package, bool, error) {
	c := s.c
	p := c.find(d.Name)
	if p == nil {
		if c.skipProvides {
			return nil, false, ErrNotFound
		}
		p = c.scanAll(func(q *Package) bool {
			for _, pr := range q.Provides {
				if pr.Name == d.Name {
					return providesMatch(d, pr)
				}
			}
			return false
		})
		if p == nil {
			return nil, true, ErrNotFound
		}
		s.remember(ref, p)
		return p, true, nil
	}
	if !d.Op.Satisfied(p.Version, d.Version) {
		return p, false, errVersion
	}
	s.remember(ref, p)
	return p, false, nil
}

var errVersion = fmt.Errorf("version mismatch")

// providesMatch applies pkgconf's table deciding whether a Provides entry
// (pr) can satisfy a requested dependency (d).
func providesMatch(d, pr Dependency) bool {
	lt := func(a, b string) bool { return CompareVersions(a, b) < 0 }
	gt := func(a, b string) bool { return CompareVersions(a, b) > 0 }
	lte := func(a, b string) bool { return CompareVersions(a, b) <= 0 }
	gte := func(a, b string) bool { return CompareVersions(a, b) >= 0 }
	eq := func(a, b string) bool { return CompareVersions(a, b) == 0 }
	ne := func(a, b string) bool { return CompareVersions(a, b) != 0 }
	none := func(a, b string) bool { return false }
	type fn = func(a, b string) bool
	var rule, dep [7]fn
	switch d.Op {
	case Any:
		rule[Any] = none
		dep[Any] = none
	case LessThan:
		rule = [7]fn{Any: none, LessThan: lt, GreaterThan: gt, LessEqual: lte, GreaterEqual: gte}
		dep = [7]fn{GreaterThan: lt, GreaterEqual: lt, Equal: lt, NotEqual: gte}
	case GreaterThan:
		rule = [7]fn{Any: none, LessThan: lt, GreaterThan: gt, LessEqual: lte, GreaterEqual: gte}
		dep = [7]fn{LessThan: gt, LessEqual: gt, Equal: gt, NotEqual: lte}
	case LessEqual:
		rule = [7]fn{Any: none, LessThan: lt, GreaterThan: gt, LessEqual: lte, GreaterEqual: gte}
		dep = [7]fn{GreaterThan: lte, GreaterEqual: lte, Equal: lte, NotEqual: gt}
	case GreaterEqual:
		rule = [7]fn{Any: none, LessThan: lt, GreaterThan: gt, LessEqual: lte, GreaterEqual: gte}
		dep = [7]fn{LessThan: gte, LessEqual: gte, Equal: gte, NotEqual: lt}
	case Equal:
		rule = [7]fn{Any: none, LessThan: lt, GreaterThan: gt, LessEqual: lte, GreaterEqual: gte, Equal: eq, NotEqual: ne}
		dep[Any] = none
	case NotEqual:
		rule = [7]fn{Any: none, LessThan: gte, GreaterThan: lte, LessEqual: gt, GreaterEqual: lt, Equal: ne, NotEqual: eq}
		dep[Any] = none
	}
	if f := dep[pr.Op]; f != nil && !f(pr.Version, d.Version) {
		return false
	}
	if f := rule[pr.Op]; f != nil && !f(d.Version, pr.Version) {
		return false
	}
	return true
}

// traverse walks the graph below root like pkgconf_pkg_traverse in
// 1.8: fn on root, its Conflicts, its Requires, then (when searching
// private) its Requires.private with the "private" iteration flag set.
func (s *Session) traverse(root *Package, fn collectFunc, depth int, skipInternal bool, errs *[]error) bool {
	if depth == 0 {
		return true
	}
	priv := 0
	if s.searchPrivate {
		priv = 1
	}
	if fn == nil && !root.virtual {
		if i := int(root.idx); i > 0 && i < len(s.validated[priv]) && depth <= int(s.validated[priv][i]) {
			return true
		}
		n := len(*errs)
		ok := s.traverse1(root, fn, depth, skipInternal, errs)
		if ok && len(*errs) == n {
			if i := int(root.idx); i > 0 {
				v := s.validated[priv]
				if len(v) <= i {
					v = growSlice(v, i, s.c, math.MinInt32)
				}
				v[i] = int32(min(depth, math.MaxInt32))
				s.validated[priv] = v
			}
		}
		return ok
	}
	return s.traverse1(root, fn, depth, skipInternal, errs)
}

func (s *Session) traverse1(root *Package, fn collectFunc, depth int, skipInternal bool, errs *[]error) bool {
	s.visits++
	if s.visits > maxVisits {
		if !s.tooLarge {
			s.tooLarge = true
			*errs = append(*errs, ErrGraphTooLarge)
			s.report("Dependency graph too large to walk (more than %d visits), stopped at '%s'\n", maxVisits, root.ID)
		}
		return false
	}
	if !(root.virtual && s.skipRoot) && fn != nil {
		fn(root)
	}
	if !s.c.skipConflicts && len(root.Conflicts) > 0 {
		if !s.conflicts(root, errs) {
			return false
		}
	}
	if !s.walk(root, 0, root.Requires, fn, depth, skipInternal, errs) {
		return false
	}
	if s.searchPrivate {
		s.iterPriv = true
		ok := s.walk(root, 1, root.RequiresPrivate, fn, depth, skipInternal, errs)
		s.iterPriv = false
		if !ok {
			return false
		}
	}
	return true
}

func (s *Session) walk(parent *Package, list int, deps []Dependency, fn collectFunc, depth int, skipInternal bool, errs *[]error) bool {
	ok := true
	s.ancestors = append(s.ancestors, parent)
	defer func() { s.ancestors = s.ancestors[:len(s.ancestors)-1] }()
	for i := range deps {
		d := &deps[i]
		if d.Name == "" {
			continue
		}
		ref := depRef{parent, list, i}
		p, err := s.verify(ref, *d)
		if err != nil {
			s.graphError(parent, p, *d, err, errs)
			ok = false
			continue
		}
		if s.isAncestor(p) {
			// pkgconf 1.8 skips an edge back to a package being walked
			continue
		}
		if skipInternal && d.Internal {
			continue
		}
		if s.prune != nil && s.prune(p) {
			continue
		}
		if !s.traverse(p, fn, depth-1, skipInternal, errs) {
			ok = false
		}
	}
	return ok
}

func (s *Session) isAncestor(p *Package) bool {
	for _, a := range s.ancestors {
		if a == p {
			return true
		}
	}
	return false
}

func (s *Session) graphError(parent, p *Package, d Dependency, err error, errs *[]error) {
	if err == ErrNotFound {
		if !s.SimplifyErrors && !s.noticeSent {
			s.report("Package %s was not found in the pkg-config search path.\n", d.Name)
			s.report("Perhaps you should add the directory containing `%s.pc'\n", d.Name)
			s.report("to the PKG_CONFIG_PATH environment variable\n")
			s.noticeSent = true
		}
		s.report("Package '%s', required by '%s', not found\n", d.Name, parent.ID)
		*errs = append(*errs, &NotFoundError{Name: d.Name, RequiredBy: parent.ID, SearchPath: s.c.SearchPath()})
		return
	}
	s.report("Package dependency requirement '%s %s %s' could not be satisfied.\n", d.Name, d.Op, d.Version)
	if p != nil {
		s.report("Package '%s' has version '%s', required version is '%s %s'\n", d.Name, p.Version, d.Op, d.Version)
	}
	found := ""
	if p != nil {
		found = p.Version
	}
	*errs = append(*errs, &VersionError{Want: d, Found: found, RequiredBy: parent.ID})
}

func (s *Session) conflicts(root *Package, errs *[]error) bool {
	for ci, rule := range root.Conflicts {
		if rule.Name == "" {
			continue
		}
		for _, req := range root.Requires {
			if req.Name == "" || req.Name != rule.Name {
				continue
			}
			p, err := s.verify(depRef{root, 2, ci}, rule)
			if err == nil {
				ver := ""
				if rule.HasVersion {
					ver = " " + rule.Version
				}
				s.report("Version '%s' of '%s' conflicts with '%s' due to satisfying conflict rule '%s %s%s'.\n",
					p.Version, p.Name, root.Name, rule.Name, rule.Op, ver)
				if !s.SimplifyErrors {
					s.report("It may be possible to ignore this conflict and continue, try the\n")
					s.report("PKG_CONFIG_IGNORE_CONFLICTS environment variable.\n")
				}
				*errs = append(*errs, &ConflictError{Rule: rule, Version: p.Version, Package: p.ID, By: root.Name})
				return false
			}
		}
	}
	return true
}

// run verifies the world with the given private flag, as pkgconf's
// queue_verify does, and then walks it again with fn when it is sound.
func (s *Session) run(w *World, private bool, depth int, fn collectFunc, skipInternal bool) error {
	s.searchPrivate = private
	if len(w.pkg.Requires) == 0 {
		return &ResolveError{Errs: []error{fmt.Errorf("no package given")}}
	}
	var errs []error
	s.messages = nil
	s.visits, s.tooLarge = 0, false
	if !s.traverse(w.pkg, nil, depth, false, &errs) || len(errs) > 0 {
		return &ResolveError{Errs: errs, Messages: s.messages}
	}
	if fn != nil {
		s.visits = 0
		s.traverse(w.pkg, fn, depth, skipInternal, &errs)
		if s.tooLarge {
			return &ResolveError{Errs: errs, Messages: s.messages}
		}
	}
	return nil
}

// Validate checks that the queried packages and everything they require
// exist in acceptable versions and do not conflict (pkgconf's
// queue_validate). Requires.private is checked only with --static.
func (s *Session) Validate(w *World) error {
	return s.run(w, s.c.searchPrivate, s.c.maxDepth, nil, false)
}

// ValidateAll is Validate including Requires.private, which is what
// Debian's pkgconf does for --exists.
func (s *Session) ValidateAll(w *World) error {
	return s.run(w, true, s.c.maxDepth, nil, false)
}

// Cflags resolves the world's compiler flags as pkgconf --cflags does
// (Requires.private is always walked for Cflags), before system
// directories are filtered.
func (s *Session) Cflags(w *World) (Fragments, error) {
	list := make(fragList, 0, 8)
	skipInternal := !s.c.internalCflags
	// A package met again in the walk whose Cflags are all -I, -L or -F
	// adds nothing: those fragments keep their first copy and are never
	// removed, so the second pass over them is skipped.
	s.prv = pruner{c: s.c}
	pr := &s.prv
	if s.sc != nil {
		pr.memo, pr.noop = s.sc.memo[:0], s.sc.noop[:0]
	}
	s.pr = pr
	if !s.c.noPrune {
		s.prune = pr.done
	}
	err := s.run(w, true, s.c.maxDepth, func(p *Package) {
		if pr.collected(p) {
			return
		}
		for _, f := range p.Cflags {
			list = list.add(f, false)
		}
	}, skipInternal)
	s.prune = nil
	if err != nil {
		return nil, err
	}
	if s.c.mergePrivate {
		errs := new([]error)
		s.visits = 0
		s.traverse(w.pkg, func(p *Package) {
			for _, f := range p.CflagsPrivate {
				list = list.add(f, true)
			}
		}, s.c.maxDepth, skipInternal, errs)
		if s.tooLarge {
			return nil, &ResolveError{Errs: *errs}
		}
	}
	return Fragments(list), nil
}

// pruner lets the Cflags walk skip a subtree that cannot change the
// result. pkgconf 1.8 walks every path of the graph (gtk+-3.0 has
// thousands); walking a package again only matters when it or something
// below it adds a fragment that is not already kept. A package whose own
// Cflags are all -I/-L/-F (first copy kept, never removed) and that was
// already collected adds nothing the second time; when that holds for
// everything reachable from it (Requires and Requires.private, whatever
// the ancestors and the depth left), its whole subtree is a no-op.
type pruner struct {
	// state per Package.idx: 0 not collected yet, 1 collected and a
	// revisit adds nothing, 2 collected and a revisit may add something
	noop []int8
	seen int // packages collected, the generation of negative answers
	// memo per Package.idx: 0 unknown, -1 done for good, n+1 not done
	// while seen == n (a newly collected package can make it done)
	memo []int32
	busy []*Package // packages on the current check's path (cycles)
	c    *Client
}

// growSlice extends per-package session state so index i fits, in one
// step to the number of packages the client has loaded so far.
func growSlice[T any](v []T, i int, c *Client, zero T) []T {
	// room for the packages loaded so far and some to come: packages
	// are numbered as they are read, often in the middle of a walk
	n := max(int(c.st.nextIdx.Load())+1, i+1, 2*len(v), 64)
	old := len(v)
	if cap(v) >= n {
		v = v[:n]
	} else {
		nv := make([]T, n)
		copy(nv, v)
		v = nv
	}
	for j := old; j < n; j++ {
		v[j] = zero
	}
	return v
}

// collected records that p's Cflags were added, and returns true when
// they had been before and adding them again changes nothing.
func (pr *pruner) collected(p *Package) (skip bool) {
	i := int(p.idx)
	if i <= 0 {
		return false
	}
	if len(pr.noop) <= i {
		pr.noop = growSlice(pr.noop, i, pr.c, 0)
	}
	switch pr.noop[i] {
	case 1:
		return true
	case 0:
		pr.noop[i] = 2
		if firstWinsOnly(p.Cflags) {
			pr.noop[i] = 1
		}
		pr.seen++
	}
	return false
}

// done reports whether walking p's subtree again cannot change the
// collected Cflags. It answers no when unsure.
func (pr *pruner) done(p *Package) bool {
	i := int(p.idx)
	if i <= 0 || i >= len(pr.noop) || pr.noop[i] != 1 {
		return false
	}
	if len(pr.memo) <= i {
		pr.memo = growSlice(pr.memo, i, pr.c, 0)
	}
	if m := pr.memo[i]; m < 0 || int(m) == pr.seen+1 {
		return m < 0
	}
	for _, b := range pr.busy {
		if b == p {
			return false // on a cycle: do not conclude
		}
	}
	pr.busy = append(pr.busy, p)
	ok := true
	for list, deps := range [2][]Dependency{p.Requires, p.RequiresPrivate} {
		slots := p.match[list]
		for i, d := range deps {
			if d.Name == "" {
				continue
			}
			if i >= len(slots) {
				ok = false
				break
			}
			m := slots[i].Load()
			if m == nil || !pr.done(m) {
				ok = false
				break
			}
		}
		if !ok {
			break
		}
	}
	pr.busy = pr.busy[:len(pr.busy)-1]
	if ok {
		pr.memo[i] = -1
	} else if len(pr.busy) == 0 {
		// a "no" found under a cycle guard is only valid for this check
		pr.memo[i] = int32(pr.seen + 1)
	}
	return ok
}

// firstWinsOnly reports whether every fragment is of a kind whose first
// copy is kept by a non-private add (-I, -L, -F).
func firstWinsOnly(fs Fragments) bool {
	for _, f := range fs {
		if f.Type != 'I' && f.Type != 'L' && f.Type != 'F' {
			return false
		}
	}
	return true
}

// Libs resolves the world's linker flags as pkgconf --libs does, before
// system directories are filtered.
func (s *Session) Libs(w *World) (Fragments, error) {
	list := make(fragList, 0, 8)
	err := s.run(w, s.c.searchPrivate, s.c.maxDepth, func(p *Package) {
		for _, f := range p.Libs {
			list = list.add(f, s.iterPriv)
		}
		if s.c.mergePrivate {
			for _, f := range p.LibsPrivate {
				list = list.add(f, true)
			}
		}
	}, false)
	if err != nil {
		return nil, err
	}
	return Fragments(list), nil
}

// Matches returns the packages the world's own dependencies resolved to,
// in query order (nil for one that did not resolve).
func (s *Session) Matches(w *World) []*Package {
	out := make([]*Package, len(w.deps))
	for i := range w.deps {
		out[i], _ = s.match(depRef{w.pkg, 0, i})
	}
	return out
}

// FilterCflags drops -I flags naming system include directories (and,
// as pkgconf does, -L flags naming system library directories) unless
// kept by option or environment, and keeps the kinds asked for.
func (c *Client) FilterCflags(fs Fragments, onlyI, onlyOther bool) Fragments {
	var out Fragments
	if len(fs) > 0 {
		out = make(Fragments, 0, len(fs))
	}
	for _, f := range fs {
		if !c.keepSysCflags && c.systemDir(f) {
			continue
		}
		if f.Type == 'I' && onlyI || f.Type != 'I' && onlyOther {
			out = append(out, f)
		}
	}
	return out
}

// FilterLibs drops -L flags naming system library directories (and, as
// pkgconf does, -I flags naming system include directories) unless kept
// by option or environment, and keeps the kinds asked for.
func (c *Client) FilterLibs(fs Fragments, onlyL, onlyl, onlyOther bool) Fragments {
	var out Fragments
	if len(fs) > 0 {
		out = make(Fragments, 0, len(fs))
	}
	for _, f := range fs {
		if !c.keepSysLibs && c.systemDir(f) {
			continue
		}
		switch {
		case f.Type == 'L' && onlyL, f.Type == 'l' && onlyl, f.Type != 'L' && f.Type != 'l' && onlyOther:
			out = append(out, f)
		}
	}
	return out
}

// systemDir reports whether f is -I of a system include directory or -L
// of a system library directory (pkgconf_fragment_has_system_dir: it
// checks both whichever list the flag came from).
func (c *Client) systemDir(f Fragment) bool {
	switch f.Type {
	case 'I':
		return contains(c.filterI, f.Data)
	case 'L':
		return contains(c.filterL, f.Data)
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// AnyUninstalled reports whether the world's graph uses an
// -uninstalled.pc file (pkgconf --uninstalled).
func (s *Session) AnyUninstalled(w *World) bool {
	found := false
	s.traverse(w.pkg, func(p *Package) {
		if p.Uninstalled {
			found = true
		}
	}, s.c.maxDepth, false, new([]error))
	return found
}
