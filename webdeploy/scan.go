package webdeploy

import (
	"encoding/json"
	"errors"
	"strings"
)

// This file holds a fast path for push payloads. A 7.5 KB GitHub push is
// mostly the commits list and repository URLs, none of which a deploy
// needs; encoding/json would scan the whole document twice (validation,
// then decoding) with reflection on every field. Instead, validScan checks
// the document's syntax in one pass (exactly what json.Valid accepts; the
// fuzz target FuzzScanMatchesValid holds it to that) while remembering
// where the top-level members that ParsePush reads are, and only those
// are handed to encoding/json.

const maxDepth = 10000 // encoding/json's nesting limit

var errSyntax = errors.New("invalid JSON")

type member struct{ key, val []byte }

type scanner struct {
	b   []byte
	i   int
	top []member // the top-level members whose key is wanted
	// wanted reports whether a top-level key's value is to be kept.
	wanted func(key []byte) bool
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// validScan reports whether b is one valid JSON value (surrounded by
// optional white space), collecting wanted top-level object members.
func validScan(b []byte, wanted func([]byte) bool) ([]member, bool) {
	s := &scanner{b: b, wanted: wanted}
	s.ws()
	if !s.value(0) {
		return nil, false
	}
	s.ws()
	return s.top, s.i == len(b)
}

func (s *scanner) value(depth int) bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '{':
		return s.object(depth + 1)
	case c == '[':
		return s.array(depth + 1)
	case c == '"':
		return s.str()
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	}
	return false
}

func (s *scanner) lit(w string) bool {
	if len(s.b)-s.i >= len(w) && string(s.b[s.i:s.i+len(w)]) == w {
		s.i += len(w)
		return true
	}
	return false
}

func (s *scanner) object(depth int) bool {
	if depth > maxDepth {
		return false
	}
	s.i++ // {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return true
	}
	for {
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return false
		}
		ks := s.i
		if !s.str() {
			return false
		}
		key := s.b[ks:s.i]
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return false
		}
		s.i++
		s.ws()
		vs := s.i
		if !s.value(depth) {
			return false
		}
		if depth == 1 && s.wanted != nil && s.wanted(key) {
			s.top = append(s.top, member{key, s.b[vs:s.i]})
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *scanner) array(depth int) bool {
	if depth > maxDepth {
		return false
	}
	s.i++ // [
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return true
	}
	for {
		if !s.value(depth) {
			return false
		}
		s.ws()
		if s.i >= len(s.b) {
			return false
		}
		switch s.b[s.i] {
		case ',':
			s.i++
			s.ws()
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

func (s *scanner) str() bool {
	s.i++ // opening quote
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return true
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return false
			}
			switch s.b[s.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i++
			case 'u':
				if len(s.b)-s.i < 5 {
					return false
				}
				for _, h := range s.b[s.i+1 : s.i+5] {
					if !isHex(h) {
						return false
					}
				}
				s.i += 5
			default:
				return false
			}
		case c < 0x20:
			return false
		default:
			s.i++
		}
	}
	return false
}

func isHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func (s *scanner) digits() int {
	n := 0
	for s.i < len(s.b) && '0' <= s.b[s.i] && s.b[s.i] <= '9' {
		s.i++
		n++
	}
	return n
}

func (s *scanner) number() bool {
	if s.b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(s.b) {
		return false
	}
	if s.b[s.i] == '0' {
		s.i++
	} else if s.digits() == 0 {
		return false
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if s.digits() == 0 {
			return false
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if s.digits() == 0 {
			return false
		}
	}
	return true
}

// pushKeys are the top-level members ParsePush reads (commits only for
// GitLab, whose head commit is found in that list).
var pushKeys = []string{"ref", "before", "after", "created", "deleted", "forced", "repository", "pusher",
	"head_commit", "object_kind", "checkout_sha", "user_username", "user_name", "project"}

func wantKey(withCommits bool) func([]byte) bool {
	return func(raw []byte) bool {
		key := string(raw[1 : len(raw)-1])
		if strings.IndexByte(key, '\\') >= 0 {
			var k string
			if json.Unmarshal(raw, &k) != nil {
				return false
			}
			key = k
		}
		for _, k := range pushKeys {
			if strings.EqualFold(k, key) {
				return true
			}
		}
		return withCommits && strings.EqualFold(key, "commits")
	}
}

// slimPayload returns a JSON object holding only the wanted top-level
// members of payload, in their original order (so that, as with
// encoding/json, the last of duplicate keys wins), or errSyntax.
func slimPayload(payload []byte, withCommits bool) ([]byte, error) {
	members, ok := validScan(payload, wantKey(withCommits))
	if !ok {
		return nil, errSyntax
	}
	n := 2
	for _, m := range members {
		n += len(m.key) + len(m.val) + 2
	}
	out := make([]byte, 0, n)
	out = append(out, '{')
	for i, m := range members {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, m.key...)
		out = append(out, ':')
		out = append(out, m.val...)
	}
	return append(out, '}'), nil
}
