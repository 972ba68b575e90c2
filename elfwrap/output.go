package elfwrap

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// WriteList writes the load order the way `ld.so --list` prints it, without
// the load addresses and the vDSO line: `\tname => path`, `\tpath` for the
// interpreter and names with a slash, `\tname => not found` for a missing
// library.
func (res *Result) WriteList(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, o := range res.Order {
		bw.WriteString(o.ListLine())
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// ListLine is the object's line in WriteList (with the leading tab).
func (o *Object) ListLine() string {
	switch {
	case o.Missing():
		return "\t" + o.Name + " => not found"
	case o.Source == SourceInterp || o.Name == o.Path:
		return "\t" + o.Path
	}
	return "\t" + o.Name + " => " + o.Path
}

// TreeNode is one line of the dependency tree: a library as it was asked for
// and where it was found, with the libraries it brings in that were not
// shown earlier (the lddtree presentation: siblings are claimed before
// descending, each library is expanded once).
type TreeNode struct {
	Name   string      `json:"name"`
	Path   string      `json:"path,omitempty"`
	Source Source      `json:"source"`
	Error  string      `json:"error,omitempty"`
	Needed []*TreeNode `json:"needed,omitempty"`
}

// Tree is the result as a tree rooted at the program. Interp is the
// program interpreter's path ("" for static programs).
type Tree struct {
	Path    string      `json:"path"`
	Interp  string      `json:"interpreter,omitempty"`
	Static  bool        `json:"static,omitempty"`
	Needed  []*TreeNode `json:"needed,omitempty"`
	Missing []Missing   `json:"missing,omitempty"`
}

// Missing is a library that was not found, with the chain of objects that
// led to it (the program first, the object whose DT_NEEDED names it last).
type Missing struct {
	Name  string   `json:"name"`
	Chain []string `json:"chain"`
	Error string   `json:"error"`
}

// MissingList returns the missing libraries with their chains.
func (res *Result) MissingList() []Missing {
	var out []Missing
	for _, o := range res.Missing {
		m := Missing{Name: o.Name, Chain: o.Chain()}
		if o.Err != nil {
			m.Error = o.Err.Error()
		}
		if len(m.Chain) == 0 {
			m.Chain = []string{res.Main.Path}
		}
		out = append(out, m)
	}
	return out
}

// Tree builds the lddtree-style tree.
func (res *Result) Tree() *Tree {
	t := &Tree{Path: res.Main.Path, Missing: res.MissingList()}
	if res.Main.Info != nil && !res.Main.Info.Dynamic {
		t.Static = true
		return t
	}
	shown := map[*Object]bool{res.Main: true}
	if res.Interp != nil {
		t.Interp = res.Interp.Name
		shown[res.Interp] = true
	}
	onChain := map[*Object]bool{}
	var walk func(o *Object) []*TreeNode
	walk = func(o *Object) []*TreeNode {
		onChain[o] = true
		defer delete(onChain, o)
		var fresh []*Object
		for _, d := range o.Needed {
			if onChain[d] || shown[d] {
				continue
			}
			shown[d] = true
			fresh = append(fresh, d)
		}
		var nodes []*TreeNode
		for _, d := range fresh {
			n := &TreeNode{Name: d.Name, Path: d.Path, Source: d.Source}
			if d.Err != nil {
				n.Error = d.Err.Error()
			}
			if !d.Missing() {
				n.Needed = walk(d)
			}
			nodes = append(nodes, n)
		}
		return nodes
	}
	t.Needed = walk(res.Main)
	return t
}

// WriteTree prints the tree as lddtree does:
//
//	/usr/bin/gpg (interpreter => /lib64/ld-linux-x86-64.so.2)
//	    libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1
func (t *Tree) WriteTree(w io.Writer) error {
	bw := bufio.NewWriter(w)
	switch {
	case t.Static:
		fmt.Fprintf(bw, "%s (statically linked)\n", t.Path)
	case t.Interp != "":
		fmt.Fprintf(bw, "%s (interpreter => %s)\n", t.Path, t.Interp)
	default:
		fmt.Fprintf(bw, "%s\n", t.Path)
	}
	var walk func(ns []*TreeNode, depth int)
	walk = func(ns []*TreeNode, depth int) {
		for _, n := range ns {
			ind := strings.Repeat("    ", depth)
			if n.Path == "" {
				fmt.Fprintf(bw, "%s%s => not found\n", ind, n.Name)
				continue
			}
			fmt.Fprintf(bw, "%s%s => %s\n", ind, n.Name, n.Path)
			walk(n.Needed, depth+1)
		}
	}
	walk(t.Needed, 1)
	return bw.Flush()
}
