package mesonbuild

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// CompileCommand is one entry of a compile_commands.json (the JSON
// compilation database clangd reads). Either Command or Arguments is set.
type CompileCommand struct {
	Directory string   `json:"directory"`
	File      string   `json:"file"`
	Command   string   `json:"command,omitempty"`
	Arguments []string `json:"arguments,omitempty"`
	Output    string   `json:"output,omitempty"`
}

// ParseCompileCommands decodes a compilation database, checking that
// every entry has a directory, a file, and a command or arguments. name
// is used in errors.
func ParseCompileCommands(name string, data []byte) ([]CompileCommand, error) {
	var cmds []CompileCommand
	if err := decodeIntro(name, data, &cmds); err != nil {
		return nil, err
	}
	for i, c := range cmds {
		switch {
		case c.Directory == "":
			return nil, &IntroError{File: name, Field: "[" + strconv.Itoa(i) + "].directory", Err: errors.New("missing")}
		case c.File == "":
			return nil, &IntroError{File: name, Field: "[" + strconv.Itoa(i) + "].file", Err: errors.New("missing")}
		case c.Command == "" && len(c.Arguments) == 0:
			return nil, &IntroError{File: name, Field: "[" + strconv.Itoa(i) + "]", Err: errors.New("neither command nor arguments")}
		}
	}
	return cmds, nil
}

// Absolute returns the entry with Directory, File and Output absolute
// (relative ones are taken relative to base for Directory, and to
// Directory for the others).
func (c CompileCommand) Absolute(base string) CompileCommand {
	if !filepath.IsAbs(c.Directory) {
		c.Directory = filepath.Join(base, c.Directory)
	}
	if !filepath.IsAbs(c.File) {
		c.File = filepath.Join(c.Directory, c.File)
	}
	if c.Output != "" && !filepath.IsAbs(c.Output) {
		c.Output = filepath.Join(c.Directory, c.Output)
	}
	return c
}

// MergeCompileCommands reads the compile_commands.json of every build
// directory, makes every path absolute, and writes one database to out
// (atomically). It returns the number of entries written.
func MergeCompileCommands(out string, buildDirs []string) (int, error) {
	merged := []CompileCommand{}
	for _, bd := range buildDirs {
		p := filepath.Join(bd, "compile_commands.json")
		data, err := os.ReadFile(p)
		if err != nil {
			return 0, fmt.Errorf("mesonbuild: %w", err)
		}
		cmds, err := ParseCompileCommands(p, data)
		if err != nil {
			return 0, err
		}
		absBD, err := filepath.Abs(bd)
		if err != nil {
			return 0, err
		}
		for _, c := range cmds {
			merged = append(merged, c.Absolute(absBD))
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(merged); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return 0, fmt.Errorf("mesonbuild: %w", err)
	}
	if old, err := os.ReadFile(out); err == nil && bytes.Equal(old, buf.Bytes()) {
		return len(merged), nil // unchanged: keep the file (and its time) as it is
	}
	if err := atomicfile.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return 0, fmt.Errorf("mesonbuild: %w", err)
	}
	return len(merged), nil
}

// ClangdConfig returns the text of a .clangd file that points clangd at
// the compilation database in databaseDir.
func ClangdConfig(databaseDir string) []byte {
	// A JSON string is a valid YAML double-quoted scalar.
	q, _ := json.Marshal(databaseDir)
	return []byte("# Written by hostkit mesonbuild: use the chain's merged compilation database.\n" +
		"CompileFlags:\n  CompilationDatabase: " + string(q) + "\n")
}

// WriteClangdConfig writes dir/.clangd pointing clangd at the compilation
// database in databaseDir. An existing .clangd that this package did not
// write is left alone and reported as an error.
func WriteClangdConfig(dir, databaseDir string) error {
	p := filepath.Join(dir, ".clangd")
	if old, err := os.ReadFile(p); err == nil && !bytes.HasPrefix(old, []byte("# Written by hostkit mesonbuild")) {
		return fmt.Errorf("mesonbuild: %s exists and was not written by hostkit; not replacing it", p)
	}
	abs, err := filepath.Abs(databaseDir)
	if err != nil {
		return err
	}
	text := ClangdConfig(abs)
	if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, text) {
		return nil
	}
	if err := atomicfile.WriteFile(p, text, 0o644); err != nil {
		return fmt.Errorf("mesonbuild: %w", err)
	}
	return nil
}
