package pkgconfig

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Personality is what pkgconf calls a cross-compilation personality: the
// default search path and the system directories whose -I and -L flags are
// dropped. pkgconf reads them from files such as
// /usr/share/pkgconfig/personality.d/x86_64-linux-gnu.personality.
type Personality struct {
	// Triplet names the personality ("default" for the native one).
	Triplet string
	// DefaultSearchPath is searched when PKG_CONFIG_LIBDIR is unset.
	DefaultSearchPath []string
	// SystemIncludePaths are the -I directories filtered from Cflags.
	SystemIncludePaths []string
	// SystemLibraryPaths are the -L directories filtered from Libs.
	SystemLibraryPaths []string
	// SysrootDir is the personality's sysroot, if any.
	SysrootDir string
	// WantDefaultStatic makes --static the default.
	WantDefaultStatic bool
	// WantDefaultPure makes --pure the default.
	WantDefaultPure bool
	// filterDefault drops directories of DefaultSearchPath that do not
	// exist, as pkgconf does for its compiled-in path (but not for one read
	// from a personality file).
	filterDefault bool
}

// PersonalityDirs are where pkgconf looks for NAME.personality files.
var PersonalityDirs = []string{"/usr/share/pkgconfig/personality.d", "/etc/pkgconfig/personality.d"}

// debianTriplet maps GOARCH to Debian's multiarch triplet.
var debianTriplet = map[string]string{
	"amd64": "x86_64-linux-gnu", "386": "i386-linux-gnu", "arm64": "aarch64-linux-gnu",
	"arm": "arm-linux-gnueabihf", "ppc64le": "powerpc64le-linux-gnu", "s390x": "s390x-linux-gnu",
	"riscv64": "riscv64-linux-gnu", "mips64le": "mips64el-linux-gnuabi64", "loong64": "loongarch64-linux-gnu",
}

// DefaultPersonality returns the native personality of Debian's pkgconf
// build for this architecture: the compiled-in path
// /usr/local/lib/TRIPLET/pkgconfig:/usr/local/lib/pkgconfig:
// /usr/local/share/pkgconfig:/usr/lib/TRIPLET/pkgconfig:/usr/lib/pkgconfig:
// /usr/share/pkgconfig (directories that do not exist are skipped when the
// search path is built), /usr/include as the system include directory and
// the library directories Debian's build asks gcc for.
func DefaultPersonality() *Personality {
	t := debianTriplet[runtime.GOARCH]
	if t == "" {
		t = runtime.GOARCH + "-linux-gnu"
	}
	p := &Personality{
		Triplet: "default",
		DefaultSearchPath: []string{
			"/usr/local/lib/" + t + "/pkgconfig", "/usr/local/lib/pkgconfig", "/usr/local/share/pkgconfig",
			"/usr/lib/" + t + "/pkgconfig", "/usr/lib/pkgconfig", "/usr/share/pkgconfig",
		},
		SystemIncludePaths: []string{"/usr/include"},
		filterDefault:      true,
	}
	if runtime.GOARCH == "amd64" {
		p.SystemLibraryPaths = []string{"/lib", "/lib/i386-linux-gnu", "/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnux32",
			"/lib32", "/libx32", "/usr/lib", "/usr/lib/i386-linux-gnu", "/usr/lib/x86_64-linux-gnu",
			"/usr/lib/x86_64-linux-gnux32", "/usr/lib32", "/usr/libx32"}
	} else {
		p.SystemLibraryPaths = []string{"/lib", "/lib/" + t, "/usr/lib", "/usr/lib/" + t}
	}
	return p
}

// CompiledSearchPath is the value pkgconf reports as the pc_path variable
// of its built-in "pkg-config" package: the compiled-in default path,
// unfiltered.
func CompiledSearchPath() string {
	p := DefaultPersonality()
	return strings.Join(p.DefaultSearchPath, ":")
}

// LoadPersonality finds a personality the way pkgconf --personality does:
// a path to a file, or a triplet looked up as TRIPLET.personality in
// PersonalityDirs.
func LoadPersonality(nameOrPath string) (*Personality, error) {
	if strings.Contains(nameOrPath, "/") || strings.HasSuffix(nameOrPath, ".personality") {
		return ReadPersonalityFile(nameOrPath)
	}
	for _, d := range PersonalityDirs {
		p, err := ReadPersonalityFile(filepath.Join(d, nameOrPath+".personality"))
		if err == nil {
			return p, nil
		}
		if !os.IsNotExist(err) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("pkgconfig: no personality %q in %s", nameOrPath, strings.Join(PersonalityDirs, ", "))
}

// ReadPersonalityFile parses a pkgconf personality file ("Key: value"
// lines; paths separated by ':').
func ReadPersonalityFile(path string) (*Personality, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParsePersonality(path, data)
}

// ParsePersonality parses the text of a personality file.
func ParsePersonality(path string, data []byte) (*Personality, error) {
	p := &Personality{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(text, ":")
		if !ok {
			return nil, &SyntaxError{File: path, Line: line, Msg: fmt.Sprintf("expected \"Key: value\", got %q", text)}
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "Triplet":
			p.Triplet = v
		case "SysrootDir":
			p.SysrootDir = v
		case "DefaultSearchPaths":
			p.DefaultSearchPath = splitPathList(v)
		case "SystemIncludePaths":
			p.SystemIncludePaths = splitPathList(v)
		case "SystemLibraryPaths":
			p.SystemLibraryPaths = splitPathList(v)
		case "WantDefaultStatic":
			p.WantDefaultStatic = v == "true" || v == "yes" || v == "1"
		case "WantDefaultPure":
			p.WantDefaultPure = v == "true" || v == "yes" || v == "1"
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// splitPathList splits like pkgconf (strtok on ':'): empty elements vanish.
func splitPathList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ":") {
		if e != "" {
			out = append(out, e)
		}
	}
	return out
}

// normPath collapses runs of '/', as pkgconf does when it adds a directory
// to a path list.
func normPath(p string) string {
	if !strings.Contains(p, "//") {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && i > 0 && p[i-1] == '/' {
			continue
		}
		b.WriteByte(p[i])
	}
	return b.String()
}
