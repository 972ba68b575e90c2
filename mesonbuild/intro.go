package mesonbuild

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// ErrNotConfigured is returned when a directory has no meson-info (it was
// never configured, or configuration failed before writing it).
var ErrNotConfigured = errors.New("not a configured meson build directory")

// IntroError is a malformed introspection file: which file, and where.
type IntroError struct {
	File string
	// Offset is the byte offset of the problem, when known.
	Offset int64
	// Field is the JSON field path of a type mismatch, when known.
	Field string
	Err   error
}

// Error names the file, offset and field.
func (e *IntroError) Error() string {
	s := "mesonbuild: " + e.File
	if e.Offset > 0 {
		s += fmt.Sprintf(": offset %d", e.Offset)
	}
	if e.Field != "" {
		s += ": field " + e.Field
	}
	return s + ": " + e.Err.Error()
}

// Unwrap returns the underlying JSON or validation error.
func (e *IntroError) Unwrap() error { return e.Err }

// decodeIntro decodes data into v, turning JSON errors into an *IntroError
// naming the file, offset and field. Unknown fields are ignored, so files
// written by newer meson versions still read.
func decodeIntro(name string, data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		ie := &IntroError{File: name, Err: err}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			ie.Offset = se.Offset
		case errors.As(err, &te):
			ie.Offset, ie.Field = te.Offset, te.Field
		}
		return ie
	}
	return nil
}

// VersionInfo is meson's {full, major, minor, patch} version object.
type VersionInfo struct {
	Full  string `json:"full"`
	Major int    `json:"major"`
	Minor int    `json:"minor"`
	Patch int    `json:"patch"`
}

// Info is meson-info/meson-info.json, written last by every configure.
type Info struct {
	MesonVersion VersionInfo `json:"meson_version"`
	Directories  struct {
		Source string `json:"source"`
		Build  string `json:"build"`
		Info   string `json:"info"`
	} `json:"directories"`
	Introspection struct {
		Version     VersionInfo          `json:"version"`
		Information map[string]IntroFile `json:"information"`
	} `json:"introspection"`
	BuildFilesUpdated bool `json:"build_files_updated"`
	// Error is true when the last configuration failed; ErrorList says why.
	Error     bool     `json:"error"`
	ErrorList []string `json:"error_list"`
}

// IntroFile locates one intro-*.json file.
type IntroFile struct {
	File    string `json:"file"`
	Updated bool   `json:"updated"`
}

// ParseInfo decodes meson-info.json.
func ParseInfo(data []byte) (*Info, error) {
	var i Info
	if err := decodeIntro("meson-info.json", data, &i); err != nil {
		return nil, err
	}
	if i.MesonVersion.Full == "" && i.MesonVersion.Major == 0 && i.MesonVersion.Minor == 0 {
		return nil, &IntroError{File: "meson-info.json", Field: "meson_version", Err: errors.New("missing")}
	}
	return &i, nil
}

// ReadInfo reads BuildDir/meson-info/meson-info.json.
func ReadInfo(buildDir string) (*Info, error) {
	p := filepath.Join(buildDir, "meson-info", "meson-info.json")
	data, err := os.ReadFile(p)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("mesonbuild: %s: %w", buildDir, ErrNotConfigured)
		}
		return nil, fmt.Errorf("mesonbuild: %w", err)
	}
	i, err := ParseInfo(data)
	if err != nil {
		var ie *IntroError
		if errors.As(err, &ie) {
			ie.File = p
		}
		return nil, err
	}
	return i, nil
}

// Target is one entry of intro-targets.json. Fields added by newer meson
// versions (Dependencies, Depends, Machine) are empty for meson 1.0.
type Target struct {
	Name            string         `json:"name"`
	ID              string         `json:"id"`
	Type            string         `json:"type"`
	DefinedIn       string         `json:"defined_in"`
	Filename        []string       `json:"filename"`
	BuildByDefault  bool           `json:"build_by_default"`
	TargetSources   []TargetSource `json:"target_sources"`
	ExtraFiles      []string       `json:"extra_files"`
	Subproject      *string        `json:"subproject"`
	Installed       bool           `json:"installed"`
	InstallFilename []*string      `json:"install_filename"`
	Dependencies    []string       `json:"dependencies"`
	Depends         []string       `json:"depends"`
	Machine         string         `json:"machine"`
}

// TargetSource is one compiler (or, in newer meson, linker) invocation of
// a target.
type TargetSource struct {
	Language         string   `json:"language"`
	Machine          string   `json:"machine"`
	Compiler         []string `json:"compiler"`
	Linker           []string `json:"linker"`
	Parameters       []string `json:"parameters"`
	Sources          []string `json:"sources"`
	GeneratedSources []string `json:"generated_sources"`
	UnitySources     []string `json:"unity_sources"`
}

// BuildOption is one entry of intro-buildoptions.json. Value keeps the
// raw JSON (a string, bool, integer or array); use the typed accessors.
type BuildOption struct {
	Name        string          `json:"name"`
	Value       json.RawMessage `json:"value"`
	Section     string          `json:"section"`
	Machine     string          `json:"machine"`
	Type        string          `json:"type"`
	Description string          `json:"description"`
	Choices     json.RawMessage `json:"choices"`
	Subproject  *string         `json:"subproject"`
	Deprecated  json.RawMessage `json:"deprecated"`
}

// String returns the value of a string or combo option.
func (o BuildOption) String() (string, bool) {
	var s string
	return s, json.Unmarshal(o.Value, &s) == nil
}

// Bool returns the value of a boolean option.
func (o BuildOption) Bool() (bool, bool) {
	var b bool
	return b, json.Unmarshal(o.Value, &b) == nil
}

// Int returns the value of an integer option.
func (o BuildOption) Int() (int64, bool) {
	var n int64
	return n, json.Unmarshal(o.Value, &n) == nil
}

// Strings returns the value of an array option.
func (o BuildOption) Strings() ([]string, bool) {
	var s []string
	return s, json.Unmarshal(o.Value, &s) == nil
}

// Text returns the value as text: strings as they are, everything else
// as its JSON.
func (o BuildOption) Text() string {
	if s, ok := o.String(); ok {
		return s
	}
	return string(bytes.TrimSpace(o.Value))
}

// Dependency is one entry of intro-dependencies.json. meson 1.0 writes
// name, version, compile_args and link_args; newer versions add the rest.
type Dependency struct {
	Name               string   `json:"name"`
	Type               string   `json:"type"`
	Version            string   `json:"version"`
	CompileArgs        []string `json:"compile_args"`
	LinkArgs           []string `json:"link_args"`
	IncludeDirectories []string `json:"include_directories"`
	Sources            []string `json:"sources"`
	ExtraFiles         []string `json:"extra_files"`
	Dependencies       []string `json:"dependencies"`
	Depends            []string `json:"depends"`
}

// InstallPlanEntry is one file of intro-install_plan.json.
type InstallPlanEntry struct {
	Destination  string   `json:"destination"`
	Tag          *string  `json:"tag"`
	Subproject   *string  `json:"subproject"`
	ExcludeDirs  []string `json:"exclude_dirs"`
	ExcludeFiles []string `json:"exclude_files"`
}

// ProjectInfo is intro-projectinfo.json.
type ProjectInfo struct {
	Version         string           `json:"version"`
	DescriptiveName string           `json:"descriptive_name"`
	SubprojectDir   string           `json:"subproject_dir"`
	Subprojects     []SubprojectInfo `json:"subprojects"`
	License         json.RawMessage  `json:"license"`
}

// SubprojectInfo is a subproject in ProjectInfo.
type SubprojectInfo struct {
	Name            string `json:"name"`
	Version         string `json:"version"`
	DescriptiveName string `json:"descriptive_name"`
}

// TestInfo is one entry of intro-tests.json or intro-benchmarks.json.
type TestInfo struct {
	Name       string            `json:"name"`
	Cmd        []string          `json:"cmd"`
	Env        map[string]string `json:"env"`
	Workdir    *string           `json:"workdir"`
	Timeout    json.Number       `json:"timeout"`
	Suite      []string          `json:"suite"`
	IsParallel bool              `json:"is_parallel"`
	Priority   int               `json:"priority"`
	Protocol   string            `json:"protocol"`
	Depends    []string          `json:"depends"`
}

// Introspection is everything meson-info describes for a build directory.
type Introspection struct {
	Info             *Info
	Targets          []Target
	BuildOptions     []BuildOption
	Dependencies     []Dependency
	Installed        map[string]string
	InstallPlan      map[string]map[string]InstallPlanEntry
	ProjectInfo      *ProjectInfo
	Tests            []TestInfo
	Benchmarks       []TestInfo
	BuildsystemFiles []string
}

// Option returns the build option with the given name.
func (in *Introspection) Option(name string) (BuildOption, bool) {
	for _, o := range in.BuildOptions {
		if o.Name == name {
			return o, true
		}
	}
	return BuildOption{}, false
}

// ParseIntro decodes the intro file of the given kind ("targets",
// "buildoptions", "dependencies", "installed", "install_plan",
// "projectinfo", "tests", "benchmarks", "buildsystem_files") into in.
// Unknown kinds are ignored, so a newer meson's extra files are harmless.
func (in *Introspection) ParseIntro(kind string, data []byte) error {
	name := "intro-" + kind + ".json"
	switch kind {
	case "targets":
		return decodeIntro(name, data, &in.Targets)
	case "buildoptions":
		return decodeIntro(name, data, &in.BuildOptions)
	case "dependencies":
		return decodeIntro(name, data, &in.Dependencies)
	case "installed":
		return decodeIntro(name, data, &in.Installed)
	case "install_plan":
		return decodeIntro(name, data, &in.InstallPlan)
	case "projectinfo":
		return decodeIntro(name, data, &in.ProjectInfo)
	case "tests":
		return decodeIntro(name, data, &in.Tests)
	case "benchmarks":
		return decodeIntro(name, data, &in.Benchmarks)
	case "buildsystem_files":
		return decodeIntro(name, data, &in.BuildsystemFiles)
	}
	return nil
}

// ReadIntrospection reads meson-info.json and every intro file it lists.
// A directory whose last configuration failed gives an error carrying
// meson's error list.
func ReadIntrospection(buildDir string) (*Introspection, error) {
	info, err := ReadInfo(buildDir)
	if err != nil {
		return nil, err
	}
	if info.Error {
		return nil, fmt.Errorf("mesonbuild: %s: the last configuration failed: %v", buildDir, info.ErrorList)
	}
	in := &Introspection{Info: info}
	dir := filepath.Join(buildDir, "meson-info")
	for kind, f := range info.Introspection.Information {
		if f.File == "" || filepath.Base(f.File) != f.File {
			return nil, &IntroError{File: filepath.Join(dir, "meson-info.json"), Field: "introspection.information." + kind + ".file",
				Err: fmt.Errorf("%s is not a plain file name", strconv.Quote(f.File))}
		}
		p := filepath.Join(dir, f.File)
		data, err := os.ReadFile(p)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return nil, fmt.Errorf("mesonbuild: %w", err)
		}
		if err := in.ParseIntro(kind, data); err != nil {
			var ie *IntroError
			if errors.As(err, &ie) {
				ie.File = p
			}
			return nil, err
		}
	}
	return in, nil
}

// ReadBuildOptions reads BuildDir/meson-info/intro-buildoptions.json.
func ReadBuildOptions(buildDir string) ([]BuildOption, error) {
	p := filepath.Join(buildDir, "meson-info", "intro-buildoptions.json")
	data, err := os.ReadFile(p)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("mesonbuild: %s: %w", buildDir, ErrNotConfigured)
		}
		return nil, fmt.Errorf("mesonbuild: %w", err)
	}
	var in Introspection
	if err := in.ParseIntro("buildoptions", data); err != nil {
		var ie *IntroError
		if errors.As(err, &ie) {
			ie.File = p
		}
		return nil, err
	}
	return in.BuildOptions, nil
}

// ReadInstalled reads BuildDir/meson-info/intro-installed.json: build
// file → installed path.
func ReadInstalled(buildDir string) (map[string]string, error) {
	p := filepath.Join(buildDir, "meson-info", "intro-installed.json")
	data, err := os.ReadFile(p)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("mesonbuild: %s: %w", buildDir, ErrNotConfigured)
		}
		return nil, fmt.Errorf("mesonbuild: %w", err)
	}
	var m map[string]string
	if err := decodeIntro(p, data, &m); err != nil {
		return nil, err
	}
	return m, nil
}
