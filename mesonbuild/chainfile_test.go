package mesonbuild

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

const sampleChainFile = `{
  "workdir": "work",
  "prefix": "out",
  "buildtype": "debugoptimized",
  "runpath": true,
  "clangd": ".",
  "projects": [
    {"name": "wlroots", "source": "src/wlroots", "options": {"examples": "false"}},
    {"name": "sway", "source": "/abs/sway", "depends_on": ["wlroots"], "test": true,
     "native": {"binaries": {"pkg-config": "/usr/bin/pkgconf"}, "properties": {"jobs": 4, "list": ["a", "b"]}}}
  ]
}`

func TestParseChainFile(t *testing.T) {
	c, err := ParseChainFile("chain.json", []byte(sampleChainFile), "/home/me")
	if err != nil {
		t.Fatal(err)
	}
	if c.WorkDir != "/home/me/work" || c.Prefix != "/home/me/out" || c.Clangd != "/home/me" || !c.Runpath || c.BuildType != "debugoptimized" {
		t.Errorf("chain %+v", c)
	}
	if c.Projects[0].Source != "/home/me/src/wlroots" || c.Projects[1].Source != "/abs/sway" || !c.Projects[1].Test {
		t.Errorf("projects %+v", c.Projects)
	}
	n := c.Projects[1].Native
	if n == nil || n.Binaries["pkg-config"] != "/usr/bin/pkgconf" || n.Properties["jobs"] != int64(4) {
		t.Fatalf("native %+v", n)
	}
	if _, err := n.Encode(); err != nil {
		t.Error(err)
	}
}

func TestParseChainFileErrors(t *testing.T) {
	for _, tc := range []struct{ data, want string }{
		{``, "empty file"},
		{`{"prefix": "p", "projects": [{"name": "a", "source": "s"}], "bogus": 1}`, `unknown field "bogus"`},
		{`{"prefix": "p", "projects": [{"name": "a", "source": "s"}]} {}`, "text after"},
		{`{"projects": [{"name": "a", "source": "s"}]}`, "field prefix"},
		{`{"prefix": "p", "projects": []}`, "no projects"},
		{`{"prefix": "p", "projects": [{"source": "s"}]}`, "projects[0].name"},
		{`{"prefix": "p", "projects": [{"name": "a"}]}`, "projects[0].source"},
		{`{"prefix": "p", "projects": [{"name": "a", "source": "s", "native": {"bin": {}}}]}`, "unknown section"},
		{`{"prefix": "p", "projects": [{"name": "a", "source": "s", "native": {"binaries": {"c": 1.5}}}]}`, "not an integer"},
		{`{"prefix": "p", "projects": [{"name": "a", "source": "s", "native": {"binaries": {"c": [1]}}}]}`, "array element 0"},
		{`{"prefix": "p", "projects": [{"name": "a", "source": "s", "depends_on": ["b"]}]}`, `unknown project "b"`},
		{`{"prefix": "p", "projects": [{"name": "a", "source": "s", "depends_on": ["a"]}]}`, "cycle a -> a"},
		{`{"prefix": 5}`, "field prefix"},
		{`{"prefix": "p",`, "offset"},
	} {
		_, err := ParseChainFile("c.json", []byte(tc.data), "/b")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "c.json") {
			t.Errorf("%s: error %v, want it to mention %q and the file", tc.data, err, tc.want)
		}
	}
}

func TestOrder(t *testing.T) {
	c := &Chain{Projects: []Project{
		{Name: "sway", Source: "s", DependsOn: []string{"wlroots", "wayland"}},
		{Name: "wlroots", Source: "s", DependsOn: []string{"wayland"}},
		{Name: "wayland", Source: "s"},
		{Name: "other", Source: "s"},
	}}
	order, err := c.Order()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, i := range order {
		names = append(names, c.Projects[i].Name)
	}
	if strings.Join(names, ",") != "wayland,wlroots,sway,other" {
		t.Errorf("order %v", names)
	}
	c.Projects[2].DependsOn = []string{"sway"}
	if _, err := c.Order(); !errors.Is(err, ErrBadChain) || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: %v", err)
	}
	for _, bad := range [][]Project{
		{{Name: "", Source: "s"}},
		{{Name: "a/b", Source: "s"}},
		{{Name: "a", Source: "s"}, {Name: "a", Source: "s"}},
		{{Name: "a"}},
	} {
		if _, err := (&Chain{Projects: bad}).Order(); !errors.Is(err, ErrBadChain) {
			t.Errorf("%+v: %v", bad, err)
		}
	}
}

// For any acyclic chain, Order puts every project after its dependencies
// and lists each once.
func TestOrderProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 12).Draw(t, "n")
		c := &Chain{}
		for i := 0; i < n; i++ {
			p := Project{Name: fmt.Sprintf("p%d", i), Source: "s"}
			for j := 0; j < i; j++ {
				if rapid.Bool().Draw(t, fmt.Sprintf("dep%d-%d", i, j)) {
					p.DependsOn = append(p.DependsOn, fmt.Sprintf("p%d", j))
				}
			}
			c.Projects = append(c.Projects, p)
		}
		// Shuffle the declaration order; dependencies stay acyclic.
		perm := rapid.Permutation(c.Projects).Draw(t, "perm")
		c.Projects = perm
		order, err := c.Order()
		if err != nil {
			t.Fatal(err)
		}
		if len(order) != n {
			t.Fatalf("%d of %d projects ordered", len(order), n)
		}
		pos := map[string]int{}
		for k, i := range order {
			pos[c.Projects[i].Name] = k
		}
		for _, p := range c.Projects {
			for _, d := range p.DependsOn {
				if pos[d] >= pos[p.Name] {
					t.Fatalf("%s before its dependency %s", p.Name, d)
				}
			}
		}
		seen := slices.Clone(order)
		slices.Sort(seen)
		if len(slices.Compact(seen)) != n {
			t.Fatal("a project listed twice")
		}
	})
}

func FuzzParseChainFile(f *testing.F) {
	f.Add([]byte(sampleChainFile))
	f.Add([]byte(`{"prefix": "p", "projects": [{"name": "a", "source": "s", "depends_on": ["a"]}]}`))
	f.Add([]byte(`{"prefix": "p", "projects": [{"name": "a", "source": "s", "native": {"properties": {"x": 1e3}}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseChainFile("f.json", data, "/base")
		if err != nil {
			if !strings.Contains(err.Error(), "f.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if _, err := c.Order(); err != nil {
			t.Fatalf("accepted chain does not order: %v", err)
		}
		for _, p := range c.Projects {
			if _, err := p.Native.Encode(); err != nil && !strings.Contains(err.Error(), "machine file") {
				t.Fatalf("native file error without context: %v", err)
			}
		}
	})
}
