package mesonbuild

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"sort"
	"strings"
)

// ChainFile is the JSON form of a chain, as examples/mesonchain reads it:
//
//	{
//	  "workdir": "work",
//	  "prefix": "out",
//	  "buildtype": "debugoptimized",
//	  "runpath": true,
//	  "clangd": ".",
//	  "projects": [
//	    {"name": "wlroots", "source": "src/wlroots", "options": {"examples": "false"}},
//	    {"name": "sway", "source": "src/sway", "depends_on": ["wlroots"],
//	     "native": {"binaries": {"pkg-config": "/usr/bin/pkgconf"}}}
//	  ]
//	}
//
// Relative paths are taken relative to the file's directory. Unknown keys
// are errors, so a misspelt option is not silently ignored.
type ChainFile struct {
	WorkDir              string             `json:"workdir"`
	Prefix               string             `json:"prefix"`
	PrefixPerProject     bool               `json:"prefix_per_project,omitempty"`
	BuildType            string             `json:"buildtype,omitempty"`
	PkgConfig            string             `json:"pkg_config,omitempty"`
	ReplacePkgConfigPath bool               `json:"replace_pkg_config_path,omitempty"`
	Runpath              bool               `json:"runpath,omitempty"`
	EnvScript            string             `json:"env_script,omitempty"`
	Clangd               string             `json:"clangd,omitempty"`
	ClangdSourceConfig   bool               `json:"clangd_source_config,omitempty"`
	KeepGoing            bool               `json:"keep_going,omitempty"`
	Projects             []ChainFileProject `json:"projects"`
}

// ChainFileProject is one project of a ChainFile.
type ChainFileProject struct {
	Name      string                    `json:"name"`
	Source    string                    `json:"source"`
	BuildDir  string                    `json:"build_dir,omitempty"`
	Prefix    string                    `json:"prefix,omitempty"`
	BuildType string                    `json:"buildtype,omitempty"`
	Options   map[string]string         `json:"options,omitempty"`
	DependsOn []string                  `json:"depends_on,omitempty"`
	Test      bool                      `json:"test,omitempty"`
	Native    map[string]map[string]any `json:"native,omitempty"`
}

// ParseChainFile decodes a chain file; name is used in errors, baseDir
// anchors relative paths. Errors name the byte offset and field.
func ParseChainFile(name string, data []byte, baseDir string) (*Chain, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	var f ChainFile
	if err := dec.Decode(&f); err != nil {
		ie := &IntroError{File: name, Err: err}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			ie.Offset = se.Offset
		case errors.As(err, &te):
			ie.Offset, ie.Field = te.Offset, te.Field
		case errors.Is(err, io.ErrUnexpectedEOF):
			ie.Offset, ie.Err = int64(len(data)), errors.New("unexpected end of file")
		case errors.Is(err, io.EOF):
			ie.Err = errors.New("empty file")
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			// encoding/json names the key but not where it is.
			if field, off, ok := unknownChainKey(data); ok {
				ie.Field, ie.Offset = field, off
			}
		}
		return nil, ie
	}
	if dec.More() {
		return nil, &IntroError{File: name, Offset: dec.InputOffset(), Err: errors.New("text after the chain object")}
	}
	if f.Prefix == "" {
		return nil, &IntroError{File: name, Field: "prefix", Err: errors.New("missing")}
	}
	if len(f.Projects) == 0 {
		return nil, &IntroError{File: name, Field: "projects", Err: errors.New("no projects")}
	}
	at := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(baseDir, p)
	}
	c := &Chain{
		WorkDir:              at(f.WorkDir),
		Prefix:               at(f.Prefix),
		PrefixPerProject:     f.PrefixPerProject,
		BuildType:            f.BuildType,
		PkgConfig:            f.PkgConfig,
		ReplacePkgConfigPath: f.ReplacePkgConfigPath,
		Runpath:              f.Runpath,
		EnvScript:            at(f.EnvScript),
		Clangd:               at(f.Clangd),
		ClangdSourceConfig:   f.ClangdSourceConfig,
		KeepGoing:            f.KeepGoing,
	}
	if c.WorkDir == "" {
		c.WorkDir = baseDir
	}
	for i, p := range f.Projects {
		field := fmt.Sprintf("projects[%d]", i)
		if p.Name == "" {
			return nil, &IntroError{File: name, Field: field + ".name", Err: errors.New("missing")}
		}
		if p.Source == "" {
			return nil, &IntroError{File: name, Field: field + ".source", Err: errors.New("missing")}
		}
		native, err := machineFileFromJSON(p.Native)
		if err != nil {
			return nil, &IntroError{File: name, Field: field + ".native", Err: err}
		}
		c.Projects = append(c.Projects, Project{
			Name: p.Name, Source: at(p.Source), BuildDir: at(p.BuildDir), Prefix: at(p.Prefix),
			BuildType: p.BuildType, Options: p.Options, DependsOn: p.DependsOn, Test: p.Test, Native: native,
		})
	}
	if _, err := c.Order(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return c, nil
}

// machineFileFromJSON turns {"binaries": {...}, "properties": {...}, ...}
// into a MachineFile, converting JSON numbers to integers and arrays to
// []string.
func machineFileFromJSON(sections map[string]map[string]any) (*MachineFile, error) {
	if len(sections) == 0 {
		return nil, nil
	}
	m := &MachineFile{}
	names := make([]string, 0, len(sections))
	for k := range sections {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, sec := range names {
		vals := map[string]any{}
		for k, v := range sections[sec] {
			conv, err := machineValue(v)
			if err != nil {
				return nil, fmt.Errorf("[%s] %s: %w", sec, k, err)
			}
			vals[k] = conv
		}
		switch sec {
		case "constants":
			m.Constants = vals
		case "binaries":
			m.Binaries = vals
		case "properties":
			m.Properties = vals
		case "built-in options":
			m.BuiltinOptions = vals
		case "project options":
			m.ProjectOptions = vals
		default:
			return nil, fmt.Errorf("unknown section %q (want constants, binaries, properties, built-in options or project options)", sec)
		}
	}
	return m, nil
}

func machineValue(v any) (any, error) {
	switch x := v.(type) {
	case string, bool:
		return x, nil
	case json.Number:
		n, err := x.Int64()
		if err != nil {
			return nil, fmt.Errorf("number %s is not an integer", x)
		}
		return n, nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return nil, fmt.Errorf("number %v is not an integer", x)
		}
		return int64(x), nil
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("array element %d is %T, want a string", i, e)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("value of type %T is not a string, boolean, integer or array of strings", v)
}
