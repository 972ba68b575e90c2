package pkgconfig

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
)

// Package is one module as read from its .pc file by a Client: variables
// expanded, lists parsed.
type Package struct {
	// ID is the module name: the file name without ".pc" (and without
	// "-uninstalled" for an uninstalled file).
	ID string
	// Path is the .pc file; Dir is its directory (${pcfiledir}).
	Path, Dir string
	// Uninstalled is set for a NAME-uninstalled.pc file.
	Uninstalled bool

	Name, Description, Version, URL string

	Requires, RequiresPrivate, Conflicts, Provides []Dependency
	Cflags, CflagsPrivate, Libs, LibsPrivate       Fragments

	// Warnings are what pkgconf --validate reports for the file.
	Warnings []Diagnostic

	vars    vars
	props   []varKV // every property as written, in file order
	virtual bool
	// match caches, per entry of Requires (0) and Requires.private (1),
	// the package it resolved to: pkgconf's pkgdep->match, kept for the
	// client's life. Slots are atomic so concurrent queries can share it.
	match [2][]atomic.Pointer[Package]
	// idx numbers the packages a client loaded (from 1; 0 for virtual
	// ones) so a session can keep per-package state in slices.
	idx int32
}

// Variable returns the value of a variable defined in the file.
// --define-variable values and the globals pc_sysrootdir and
// pc_top_builddir take precedence, as in pkgconf.
func (p *Package) Variable(c *Client, name string) (string, bool) {
	if c != nil {
		if v, ok := c.globals[name]; ok {
			return v, true
		}
	}
	return p.vars.get(name)
}

// Fields returns every property ("Key: value") of the file as written,
// unexpanded: the last occurrence of each key (known or not), keyed by
// the key as written.
func (p *Package) Fields() map[string]string {
	m := make(map[string]string, len(p.props))
	for _, f := range p.props {
		m[f.key] = f.value
	}
	return m
}

// Field returns the property key as written in the file (its last
// occurrence), unexpanded.
func (p *Package) Field(key string) (string, bool) {
	for i := len(p.props) - 1; i >= 0; i-- {
		if p.props[i].key == key {
			return p.props[i].value, true
		}
	}
	return "", false
}

// VariableNames lists the file's variables in pkgconf's order (the most
// recently defined first, pcfiledir last).
func (p *Package) VariableNames() []string {
	out := make([]string, len(p.vars.kv))
	for i, kv := range p.vars.kv {
		out[len(out)-1-i] = kv.key
	}
	return out
}

// evaluate turns the syntax of a file into a package, expanding as
// pkgconf does while it reads: each variable when it is defined, each
// property with the variables defined above it.
func (c *Client) evaluate(f *File, uninstalled bool) (*Package, error) {
	return c.evaluateIn(f, uninstalled, &loadMem{lean: true})
}

// evaluateIn is evaluate with the package's strings and lists carved from
// m.
func (c *Client) evaluateIn(f *File, uninstalled bool, m *loadMem) (*Package, error) {
	nf := 0
	for i := range f.Entries {
		if f.Entries[i].Op == ':' {
			nf++
		}
	}
	p := m.newPackage()
	p.Path, p.Uninstalled = f.Path, uninstalled
	p.props = take(m, &m.kvs, nf)[:0]
	p.Dir = parentDir(f.Path)
	e := &expander{c: c, vars: &p.vars, m: m, own: true}
	p.vars.set("pcfiledir", e.expand(strings.ReplaceAll(p.Dir, " ", "\\ ")), m)
	if c.sysroot != "" && !strings.HasPrefix(p.Dir, c.sysroot) {
		// Debian's pkgconf adds this; globals shadow it, so it only shows
		// in --print-variables.
		p.vars.set("pc_sysrootdir", "", m)
	}
	base := f.Path[strings.LastIndexByte(f.Path, '/')+1:]
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	// pkgconf 1.8 keeps "-uninstalled" in the id of an uninstalled
	// package (it shows in messages, --list-all and its Provides).
	p.ID = base

	var warnings []Diagnostic
	warn := func(line int, format string, args ...any) {
		warnings = append(warnings, Diagnostic{File: f.Path, Line: line, Msg: fmt.Sprintf(format, args...)})
	}
	var st evalState
	for _, en := range f.Entries {
		if e.overflow {
			break
		}
		e.line = en.Line
		e.truncated = false
		c.evalEntry(p, e, en, &st, uninstalled, warn, m)
		if e.truncated {
			warnings = append(warnings, Diagnostic{Line: en.Line, Msg: "warning: truncating very long variable to 64KB"})
		}
	}
	haveName, haveDesc, haveVersion := st.name, st.desc, st.version
	// merge syntax and semantic warnings in line order, syntax first
	if len(f.Warnings)+len(warnings) > 0 {
		all := append(append([]Diagnostic(nil), f.Warnings...), warnings...)
		sort.SliceStable(all, func(i, j int) bool { return all[i].Line < all[j].Line })
		p.Warnings = all
	}
	if e.overflow {
		why := " (a value that expands to a reference to itself)"
		if e.blowup {
			why = fmt.Sprintf(" (more than %d references to expand for one value)", maxExpandSteps)
		}
		d := Diagnostic{File: f.Path, Line: e.line, Msg: "error: " + ErrExpansionTooDeep.Error() + why}
		p.Warnings = append(p.Warnings, d)
		return nil, &InvalidFileError{Path: f.Path, Problems: []Diagnostic{d}, Err: ErrExpansionTooDeep}
	}
	var missing []Diagnostic
	for _, m := range []struct {
		ok   bool
		name string
	}{{haveName, "Name"}, {haveDesc, "Description"}, {haveVersion, "Version"}} {
		if !m.ok {
			missing = append(missing, Diagnostic{File: f.Path, Msg: fmt.Sprintf("warning: file does not declare a `%s' field", m.name)})
		}
	}
	if len(missing) > 0 {
		p.Warnings = append(p.Warnings, missing...)
		p.Warnings = append(p.Warnings, Diagnostic{File: f.Path, Msg: "warning: skipping invalid file"})
		return nil, &InvalidFileError{Path: f.Path, Problems: p.Warnings}
	}
	self := Dependency{Name: p.ID, Op: Equal, Version: p.Version, HasVersion: true}
	if p.Provides == nil {
		p.Provides = take(m, &m.deps, 1)
		p.Provides[0] = self
	} else {
		p.Provides = append(p.Provides, self)
	}
	nr := len(p.Requires)
	slots := take(m, &m.slots, nr+len(p.RequiresPrivate))
	p.match[0], p.match[1] = slots[:nr:nr], slots[nr:]
	return p, nil
}

// munge applies pkgconf 1.8's sysroot rule to a fragment: data starting
// with '/' and not already under the sysroot gets it prepended (for
// -uninstalled.pc files too, in 1.8).
// The result is cut to 5119 bytes (pkgconf's PKGCONF_ITEM_SIZE buffer)
// and, when it is an absolute path, has runs of '/' collapsed.
func (c *Client) munge(data string, uninstalled bool) string {
	{
		sr := c.sysroot
		if sr == "" {
			sr = c.globals["pc_sysrootdir"]
		}
		if len(data) > 0 && data[0] == '/' && sr != "" && !strings.HasPrefix(data, sr) {
			data = sr + data
		}
	}
	if len(data) > maxVarName {
		data = data[:maxVarName]
	}
	if len(data) > 0 && data[0] == '/' {
		data = normPath(data)
	}
	return data
}

// knownKeys are the properties evalEntry handles, lower case.
var knownKeys = [...]string{"name", "description", "url", "version", "cflags", "cflags.private",
	"libs", "libs.private", "requires", "requires.private", "requires.internal", "conflicts", "provides"}

// lowerKey returns the lower-case spelling of a known property key without
// allocating, and "" for any other key.
func lowerKey(k string) string {
	for _, kk := range knownKeys {
		if equalFoldASCII(k, kk) {
			return kk
		}
	}
	return ""
}

type evalState struct{ name, desc, version bool }

// addDeps appends the dependency list s to list, marked private or
// internal as asked; a first list is carved from m.
func (m *loadMem) addDeps(list []Dependency, s string, private, internal bool) []Dependency {
	ds := parseDependencies(s, m.depBuf[:0])
	for i := range ds {
		ds[i].Private, ds[i].Internal = private, internal
	}
	switch {
	case private:
		// one by one, as pkgconf adds them (see addPrivateDep); the
		// list never grows past what it held plus len(ds)
		if list == nil && len(ds) > 0 {
			list = take(m, &m.deps, len(ds))[:0]
		}
		for _, d := range ds {
			list = addPrivateDep(list, d)
		}
	case list == nil:
		list = take(m, &m.deps, len(ds))
		copy(list, ds)
	default:
		list = append(list, ds...)
	}
	clear(ds)
	m.depBuf = ds[:0]
	return list
}

// addPrivateDep appends d to the Requires.private list as pkgconf 1.8's
// add_or_replace_dependency_node does: when the list already names the
// same package and exactly one of the two entries is from
// Requires.internal, the internal one goes (d is dropped, or the earlier
// entry is removed and d appended); otherwise both stay.
func addPrivateDep(list []Dependency, d Dependency) []Dependency {
	for i := range list {
		if list[i].Name != d.Name {
			continue
		}
		if d.Internal && !list[i].Internal {
			return list
		}
		if list[i].Internal && !d.Internal {
			list = append(list[:i], list[i+1:]...)
		}
		break
	}
	return append(list, d)
}

// evalEntry applies one definition, as pkgconf's parser callbacks do.
func (c *Client) evalEntry(p *Package, e *expander, en Entry, st *evalState, uninstalled bool, warn func(int, string, ...any), m *loadMem) {
	switch en.Op {
	case '=':
		p.vars.set(en.Key, e.expand(dequote(en.Value)), m)
	case ':':
		p.props = append(p.props, varKV{en.Key, en.Value})
		key := lowerKey(en.Key)
		switch key {
		case "name":
			p.Name, st.name = e.expand(en.Value), true
		case "description":
			p.Description, st.desc = e.expand(en.Value), true
		case "url":
			p.URL = e.expand(en.Value)
		case "version":
			v := e.expand(en.Value)
			if i := strings.IndexAny(v, " \t"); i >= 0 {
				v = v[:i]
				warn(en.Line, "warning: malformed version field with whitespace, trimming to [%s]", v)
			}
			p.Version, st.version = v, true
		case "cflags", "cflags.private", "libs", "libs.private":
			var dst *Fragments
			switch key {
			case "cflags":
				dst = &p.Cflags
			case "cflags.private":
				dst = &p.CflagsPrivate
			case "libs":
				dst = &p.Libs
			default:
				dst = &p.LibsPrivate
			}
			frags, err := parseFragmentsInto(*dst, e.expand(en.Value), &munger{c, uninstalled}, m)
			if err != nil {
				warn(en.Line, "warning: unable to parse field '%s' into an argument vector, value [%s]", en.Key, en.Value)
				return
			}
			*dst = frags
		case "requires":
			p.Requires = m.addDeps(p.Requires, e.expand(en.Value), false, false)
		case "requires.private":
			p.RequiresPrivate = m.addDeps(p.RequiresPrivate, e.expand(en.Value), true, false)
		case "requires.internal":
			p.RequiresPrivate = m.addDeps(p.RequiresPrivate, e.expand(en.Value), true, true)
		case "conflicts":
			p.Conflicts = m.addDeps(p.Conflicts, e.expand(en.Value), false, false)
		case "provides":
			p.Provides = m.addDeps(p.Provides, e.expand(en.Value), false, false)
		}
	}
}
