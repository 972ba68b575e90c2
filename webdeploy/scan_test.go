package webdeploy

import (
	"encoding/json"
	"testing"

	"pgregory.net/rapid"
)

// FuzzScanMatchesValid: the fast scanner accepts exactly what
// encoding/json accepts.
func FuzzScanMatchesValid(f *testing.F) {
	// Small seeds: large ones make the fuzzer spend its time minimizing.
	f.Add([]byte(`{"ref":"refs/heads/main","after":"6113728f","commits":[{"id":"a","n":-1.5e3}],"repository":{"full_name":"o/r"},"head_commit":null,"forced":false,"created":true}`))
	for _, s := range []string{``, ` `, `{}`, `[]`, `"\u00e9"`, `"\u00g9"`, `-0.5e+3`, `01`, `1.`, `-`, `[1,]`, `{"a":1,}`, `{"a" 1}`, "\"\x01\"", `"\x"`, `tru`, `nul`, `[[[]]]`, `{"ref":"x"} x`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, got := validScan(b, nil)
		if want := json.Valid(b); got != want {
			t.Fatalf("validScan(%q) = %v, json.Valid = %v", b, got, want)
		}
	})
}

// Property: for any JSON object, decoding the slimmed payload gives the
// same wanted members as decoding the whole one.
func TestSlimPayloadProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keys := rapid.SliceOf(rapid.SampledFrom(append([]string{"commits", "zen", "REF", "Ref", "other"}, pushKeys...))).Draw(t, "keys")
		obj := map[string]any{}
		for _, k := range keys {
			obj[k] = rapid.OneOf(rapid.Just[any]("s"), rapid.Just[any](1.5), rapid.Just[any](nil),
				rapid.Just[any](map[string]any{"a": []any{1.0, "x"}})).Draw(t, k)
		}
		b, _ := json.Marshal(obj)
		slim, err := slimPayload(b, true)
		if err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		var full, part map[string]any
		json.Unmarshal(b, &full)
		json.Unmarshal(slim, &part)
		for k, v := range full {
			if wantKey(true)([]byte(`"` + k + `"`)) {
				if vb, pb := mustJSON(v), mustJSON(part[k]); vb != pb {
					t.Fatalf("member %s: %s vs %s", k, vb, pb)
				}
			} else if _, ok := part[k]; ok {
				t.Fatalf("unwanted member %s kept", k)
			}
		}
	})
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
