package mesonbuild

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// A misspelt key must be reported with where it is: which project (or
// the top level) and the offset of the key, not just its name.
func TestParseChainFileUnknownFieldSaysWhere(t *testing.T) {
	dir := t.TempDir()
	data := []byte(`{
  "prefix": "p",
  "projects": [
    {"name": "a", "source": "."},
    {"name": "b", "source": ".", "depends": ["a"]}
  ]
}`)
	_, err := ParseChainFile("chain.json", data, dir)
	var ie *IntroError
	if !errors.As(err, &ie) {
		t.Fatalf("want an *IntroError, got %v", err)
	}
	want := int64(strings.Index(string(data), `"depends"`))
	if ie.Field != "projects[1].depends" || ie.Offset != want {
		t.Errorf("error %q: field %q offset %d, want field projects[1].depends offset %d", err, ie.Field, ie.Offset, want)
	}

	top := []byte(`{"prefix": "p", "prefx": "q", "projects": [{"name": "a", "source": "."}]}`)
	_, err = ParseChainFile("chain.json", top, dir)
	if !errors.As(err, &ie) || ie.Field != "prefx" || ie.Offset != int64(strings.Index(string(top), `"prefx"`)) {
		t.Errorf("top-level misspelling: got %v", err)
	}
}

// Property: a key that is no field, put into a random project (or the top
// level) with random spacing, is reported with its path and offset.
func TestParseChainFileUnknownFieldProperty(t *testing.T) {
	dir := t.TempDir()
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(1, 4).Draw(rt, "projects")
		where := rapid.IntRange(-1, n-1).Draw(rt, "where")
		key := "zz" + rapid.StringMatching(`[a-y_]{0,8}`).Draw(rt, "key")
		sp := func(label string) string {
			return rapid.SampledFrom([]string{"", " ", "\n  ", "\t"}).Draw(rt, label)
		}
		var b strings.Builder
		b.WriteString("{" + sp("s0") + `"prefix":` + sp("s1") + `"p",` + sp("s2"))
		var want int
		if where < 0 {
			want = b.Len()
			b.WriteString(`"` + key + `": {"x": [1, {"y": 2}]},` + sp("s3"))
		}
		b.WriteString(`"projects": [`)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString("," + sp("s4"))
			}
			b.WriteString(`{"name": "p` + strconv.Itoa(i) + `",` + sp("s5") + `"options": {"zzq": "1"}, "source": "."`)
			if i == where {
				b.WriteString("," + sp("s6"))
				want = b.Len()
				b.WriteString(`"` + key + `": null`)
			}
			b.WriteString("}")
		}
		b.WriteString("]}")
		_, err := ParseChainFile("c.json", []byte(b.String()), dir)
		wantField := key
		if where >= 0 {
			wantField = "projects[" + strconv.Itoa(where) + "]." + key
		}
		var ie *IntroError
		if !errors.As(err, &ie) || ie.Field != wantField || ie.Offset != int64(want) {
			rt.Fatalf("%s\ngot %v, want field %s offset %d", b.String(), err, wantField, want)
		}
	})
}
