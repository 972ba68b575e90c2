package webdeploy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/hostkit-dev/hostkit/internal/regfile"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Defaults applied by Config.Validate.
const (
	DefaultMaxBody       = 25 << 20 // GitHub's payload cap
	DefaultKeep          = 5
	DefaultLogKeep       = 20
	DefaultDeployTimeout = 15 * time.Minute
)

// Duration is a time.Duration written in JSON as a string ("90s", "10m").
type Duration time.Duration

// UnmarshalJSON reads "1m30s" style strings.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"10m\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// Config is a webdeploy configuration file (JSON).
type Config struct {
	// StateDir holds clones, logs and status files (required).
	StateDir string `json:"state_dir"`
	// MaxBodyBytes caps delivery bodies (default DefaultMaxBody).
	MaxBodyBytes int64 `json:"max_body_bytes,omitempty"`
	// DedupSize is how many delivery ids each hook remembers.
	DedupSize int          `json:"dedup_size,omitempty"`
	Hooks     []HookConfig `json:"hooks"`
	Sites     []SiteConfig `json:"sites"`

	file string
}

// HookConfig is one webhook endpoint, served at <prefix>/<id>.
type HookConfig struct {
	ID       string   `json:"id"`
	Provider Provider `json:"provider"`
	// Secret, SecretFile or SecretEnv gives the shared secret (one of them).
	Secret     string `json:"secret,omitempty"`
	SecretFile string `json:"secret_file,omitempty"`
	SecretEnv  string `json:"secret_env,omitempty"`
	// AllowUnsigned must be set for a hook with no secret to start.
	AllowUnsigned bool     `json:"allow_unsigned,omitempty"`
	AllowSHA1     bool     `json:"allow_sha1,omitempty"`
	Tolerance     Duration `json:"tolerance,omitempty"`
	// Header, Algorithm, Prefix, Encoding: the generic "hmac" provider.
	Header    string `json:"header,omitempty"`
	Algorithm string `json:"algorithm,omitempty"`
	Prefix    string `json:"prefix,omitempty"`
	Encoding  string `json:"encoding,omitempty"`
	// Payload is the payload layout for "standard" and "hmac" hooks:
	// "github" (default, also Gitea's) or "gitlab".
	Payload Provider `json:"payload,omitempty"`
	// Sites limits which sites this hook may deploy (default: all).
	Sites []string `json:"sites,omitempty"`

	secret []byte
}

// SiteConfig is one website: where its source is, which pushes deploy it,
// how it is built and where it is published.
type SiteConfig struct {
	Name string `json:"name"`
	// Repository is the URL (or local path) git fetches from. It comes
	// from here only, never from a payload.
	Repository string `json:"repository"`
	// SSHKey is a private key file for ssh:// or scp-style URLs.
	SSHKey string `json:"ssh_key,omitempty"`
	// TokenFile holds an HTTPS access token, sent as basic auth with
	// TokenUser (default "x-access-token").
	TokenFile string      `json:"token_file,omitempty"`
	TokenUser string      `json:"token_user,omitempty"`
	Rules     []Rule      `json:"rules"`
	Build     BuildConfig `json:"build"`
	// Output is the directory inside the checkout to publish (default ".";
	// .git is never published).
	Output string `json:"output,omitempty"`
	// Webroot holds releases/ and the current symlink; point the web
	// server at <webroot>/current.
	Webroot string `json:"webroot"`
	// Keep is how many releases to keep (default DefaultKeep).
	Keep int `json:"keep,omitempty"`
	// LogKeep is how many deploy logs to keep (default DefaultLogKeep).
	LogKeep int `json:"log_keep,omitempty"`
	// Timeout bounds a whole deploy: fetch, build, publish.
	Timeout Duration `json:"timeout,omitempty"`
	// AllowRewind lets a push that is not forced deploy an ancestor of the
	// live commit. By default such a deploy is refused (StatusRefused):
	// a branch only moves back with a forced push, so an unforced push of
	// an older commit is most likely a replayed delivery. A push whose
	// "before" is the live commit (the forge moved the ref away from it;
	// GitLab and Gitea report force-pushes this way) is deployed. Roll back with
	// Publisher.Rollback (webhookd rollback) instead.
	AllowRewind bool `json:"allow_rewind,omitempty"`
}

// BuildConfig is the build step. Command is an argv run without a shell;
// Shell is a shell script run with /bin/sh -c, only if set explicitly.
// An empty build publishes the checkout as it is.
type BuildConfig struct {
	Command []string          `json:"command,omitempty"`
	Shell   string            `json:"shell,omitempty"`
	Env     map[string]string `json:"env,omitempty"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// maxConfigSize bounds a configuration file.
const maxConfigSize = 16 << 20

// readConfigFile reads a regular file of at most maxConfigSize bytes; a
// FIFO is refused without waiting for a writer (internal/regfile).
func readConfigFile(file string) ([]byte, error) { return regfile.ReadFile(file, maxConfigSize) }

// LoadConfig reads and validates a configuration file. Errors are
// *ConfigError values naming the file and the key.
func LoadConfig(file string) (*Config, error) {
	data, err := readConfigFile(file)
	if err != nil {
		return nil, &ConfigError{File: file, Msg: err.Error(), Err: err}
	}
	c, err := ParseConfig(data)
	if err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			ce.File = file
		}
		return nil, err
	}
	c.file = file
	return c, nil
}

// ParseConfig decodes and validates a configuration document. Relative
// paths are taken as they are (relative to the working directory).
func ParseConfig(data []byte) (*Config, error) {
	var c Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, configJSONError(data, err)
	}
	if dec.More() {
		return nil, &ConfigError{Msg: "data after the JSON document"}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func configJSONError(data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(data, se.Offset)
		return &ConfigError{Msg: fmt.Sprintf("line %d column %d: %v", line, col, se)}
	case errors.As(err, &te):
		return &ConfigError{Key: te.Field, Msg: fmt.Sprintf("expected %v, found JSON %s", te.Type, te.Value)}
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if f, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return &ConfigError{Key: strings.Trim(f, `"`), Msg: "unknown key (misspelt?)"}
	}
	return &ConfigError{Msg: msg}
}

func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// Validate fills defaults, reads secret files and checks every key.
func (c *Config) Validate() error {
	if c.StateDir == "" {
		return &ConfigError{Key: "state_dir", Msg: "required (clones, logs and status live there)"}
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBody
	}
	if c.MaxBodyBytes < 0 {
		return &ConfigError{Key: "max_body_bytes", Msg: "must be positive"}
	}
	if c.DedupSize < 0 {
		return &ConfigError{Key: "dedup_size", Msg: "must be positive"}
	}
	if len(c.Sites) == 0 {
		return &ConfigError{Key: "sites", Msg: "at least one site is required"}
	}
	sites := map[string]bool{}
	for i := range c.Sites {
		s := &c.Sites[i]
		key := fmt.Sprintf("sites[%d]", i)
		if err := s.validate(key); err != nil {
			return err
		}
		if sites[s.Name] {
			return &ConfigError{Key: key + ".name", Msg: fmt.Sprintf("site %q defined twice", s.Name)}
		}
		sites[s.Name] = true
	}
	if len(c.Hooks) == 0 {
		return &ConfigError{Key: "hooks", Msg: "at least one hook is required"}
	}
	hooks := map[string]bool{}
	for i := range c.Hooks {
		h := &c.Hooks[i]
		key := fmt.Sprintf("hooks[%d]", i)
		if err := h.validate(key, sites); err != nil {
			return err
		}
		if hooks[h.ID] {
			return &ConfigError{Key: key + ".id", Msg: fmt.Sprintf("hook %q defined twice", h.ID)}
		}
		hooks[h.ID] = true
	}
	return nil
}

func (s *SiteConfig) validate(key string) error {
	if !nameRE.MatchString(s.Name) {
		return &ConfigError{Key: key + ".name", Msg: fmt.Sprintf("%q: want 1-64 letters, digits, . _ - (it names directories)", s.Name)}
	}
	if s.Repository == "" {
		return &ConfigError{Key: key + ".repository", Msg: "required (the URL git fetches from)"}
	}
	if strings.HasPrefix(s.Repository, "-") {
		return &ConfigError{Key: key + ".repository", Msg: "must not start with -"}
	}
	if s.Webroot == "" {
		return &ConfigError{Key: key + ".webroot", Msg: "required (releases/ and current go there)"}
	}
	if !filepath.IsAbs(s.Webroot) {
		return &ConfigError{Key: key + ".webroot", Msg: "must be an absolute path"}
	}
	if len(s.Rules) == 0 {
		return &ConfigError{Key: key + ".rules", Msg: `at least one rule is required, e.g. {"branches": ["main"]}`}
	}
	for j := range s.Rules {
		if err := s.Rules[j].validate(fmt.Sprintf("%s.rules[%d]", key, j)); err != nil {
			return err
		}
	}
	if len(s.Build.Command) > 0 && s.Build.Shell != "" {
		return &ConfigError{Key: key + ".build", Msg: "set command (an argv list) or shell (a script), not both"}
	}
	if len(s.Build.Command) > 0 && s.Build.Command[0] == "" {
		return &ConfigError{Key: key + ".build.command[0]", Msg: "empty program name"}
	}
	for k := range s.Build.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.HasPrefix(k, "DEPLOY_") {
			return &ConfigError{Key: key + ".build.env." + k, Msg: "bad variable name (DEPLOY_* are set by webdeploy)"}
		}
	}
	out := s.Output
	if out == "" {
		out = "."
	}
	if filepath.IsAbs(out) || !filepath.IsLocal(out) && out != "." {
		return &ConfigError{Key: key + ".output", Msg: fmt.Sprintf("%q must be a relative path inside the checkout", s.Output)}
	}
	s.Output = filepath.Clean(out)
	if s.Keep == 0 {
		s.Keep = DefaultKeep
	}
	if s.Keep < 1 {
		return &ConfigError{Key: key + ".keep", Msg: "must be at least 1"}
	}
	if s.LogKeep == 0 {
		s.LogKeep = DefaultLogKeep
	}
	if s.LogKeep < 1 {
		return &ConfigError{Key: key + ".log_keep", Msg: "must be at least 1"}
	}
	if s.Timeout == 0 {
		s.Timeout = Duration(DefaultDeployTimeout)
	}
	if s.Timeout < 0 {
		return &ConfigError{Key: key + ".timeout", Msg: "must be positive"}
	}
	if s.SSHKey != "" && s.TokenFile != "" {
		return &ConfigError{Key: key + ".token_file", Msg: "set ssh_key or token_file, not both"}
	}
	if s.TokenUser == "" {
		s.TokenUser = "x-access-token"
	}
	return nil
}

func (h *HookConfig) validate(key string, sites map[string]bool) error {
	if !nameRE.MatchString(h.ID) {
		return &ConfigError{Key: key + ".id", Msg: fmt.Sprintf("%q: want 1-64 letters, digits, . _ - (it is the URL path)", h.ID)}
	}
	if !knownProvider(h.Provider) {
		return &ConfigError{Key: key + ".provider", Msg: fmt.Sprintf("%q: want github, gitlab, gitea, forgejo, gogs, standard or hmac", h.Provider)}
	}
	n := 0
	for _, s := range []string{h.Secret, h.SecretFile, h.SecretEnv} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return &ConfigError{Key: key + ".secret", Msg: "set only one of secret, secret_file and secret_env"}
	}
	switch {
	case h.Secret != "":
		h.secret = []byte(h.Secret)
	case h.SecretFile != "":
		b, err := readConfigFile(h.SecretFile)
		if err != nil {
			return &ConfigError{Key: key + ".secret_file", Msg: err.Error(), Err: err}
		}
		h.secret = bytes.TrimRight(b, "\r\n")
		if len(h.secret) == 0 {
			return &ConfigError{Key: key + ".secret_file", Msg: "the file is empty"}
		}
	case h.SecretEnv != "":
		h.secret = []byte(os.Getenv(h.SecretEnv))
		if len(h.secret) == 0 {
			return &ConfigError{Key: key + ".secret_env", Msg: fmt.Sprintf("environment variable %s is empty or unset", h.SecretEnv)}
		}
	}
	layout := GitHub // Gitea, Forgejo and Gogs send GitHub's layout
	if h.Provider == GitLab {
		layout = GitLab
	}
	switch h.Payload {
	case "":
		h.Payload = layout
	case GitHub, GitLab:
		if h.Payload != layout && h.Provider != StandardWebhooks && h.Provider != GenericHMAC {
			return &ConfigError{Key: key + ".payload", Msg: "only standard and hmac hooks choose a payload layout"}
		}
	default:
		return &ConfigError{Key: key + ".payload", Msg: fmt.Sprintf("%q: want github or gitlab", h.Payload)}
	}
	if h.Tolerance < 0 {
		return &ConfigError{Key: key + ".tolerance", Msg: "must be positive"}
	}
	if _, err := NewVerifier(h.VerifierConfig()); err != nil {
		return &ConfigError{Key: key, Msg: strings.TrimPrefix(err.Error(), ErrConfig.Error()+": ")}
	}
	for i, s := range h.Sites {
		if !sites[s] {
			return &ConfigError{Key: fmt.Sprintf("%s.sites[%d]", key, i), Msg: fmt.Sprintf("no site named %q", s)}
		}
	}
	return nil
}

// VerifierConfig returns the hook's signature settings (with the secret
// read from wherever the configuration said).
func (h *HookConfig) VerifierConfig() VerifierConfig {
	return VerifierConfig{
		Provider: h.Provider, Secret: h.secret, AllowUnsigned: h.AllowUnsigned, AllowSHA1: h.AllowSHA1,
		Tolerance: time.Duration(h.Tolerance), Header: h.Header, Algorithm: h.Algorithm, Prefix: h.Prefix, Encoding: h.Encoding,
	}
}

// Site returns the named site's configuration.
func (c *Config) Site(name string) (*SiteConfig, error) {
	for i := range c.Sites {
		if c.Sites[i].Name == name {
			return &c.Sites[i], nil
		}
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownSite, name)
}
