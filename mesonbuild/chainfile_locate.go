package mesonbuild

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// unknownChainKey finds the first key of a chain file that is not a field
// of ChainFile (at the top level) or ChainFileProject (in projects[i]),
// matched as encoding/json matches names (case-insensitively). It returns
// the key's path ("projects[1].depends") and the offset where it starts.
func unknownChainKey(data []byte) (field string, offset int64, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var found bool
	keyStart := func() int64 {
		o := dec.InputOffset()
		for o < int64(len(data)) && strings.IndexByte(" \t\r\n,", data[o]) >= 0 {
			o++
		}
		return o
	}
	// object walks the members of an object whose '{' was read; inner
	// handles a known key's value (nil: skip it).
	var object func(path string, known []string, inner func(key, path string) bool) bool
	object = func(path string, known []string, inner func(key, path string) bool) bool {
		for dec.More() {
			at := keyStart()
			tok, err := dec.Token()
			if err != nil {
				return false
			}
			key, _ := tok.(string)
			p := key
			if path != "" {
				p = path + "." + key
			}
			if !knownKey(known, key) {
				field, offset, found = p, at, true
				return false
			}
			handled := inner != nil && inner(key, p)
			if found {
				return false
			}
			if !handled {
				var skip json.RawMessage
				if dec.Decode(&skip) != nil {
					return false
				}
			}
		}
		_, err := dec.Token() // '}'
		return err == nil
	}
	projectKeys := jsonKeys(reflect.TypeOf(ChainFileProject{}))
	projects := func(key, path string) bool {
		if !strings.EqualFold(key, "projects") {
			return false
		}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			return true
		}
		for i := 0; dec.More(); i++ {
			at := keyStart()
			if at >= int64(len(data)) || data[at] != '{' {
				var skip json.RawMessage
				if dec.Decode(&skip) != nil {
					return true
				}
				continue
			}
			if _, err := dec.Token(); err != nil {
				return true
			}
			if !object(path+"["+strconv.Itoa(i)+"]", projectKeys, nil) {
				return true
			}
		}
		return true
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", 0, false
	}
	object("", jsonKeys(reflect.TypeOf(ChainFile{})), projects)
	return field, offset, found
}

// jsonKeys lists the JSON names of a struct's fields.
func jsonKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" {
			name = t.Field(i).Name
		}
		keys = append(keys, name)
	}
	return keys
}

func knownKey(known []string, key string) bool {
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}
