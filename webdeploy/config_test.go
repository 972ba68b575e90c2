package webdeploy_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/webdeploy"
)

const validConfig = `{
  "state_dir": "/var/lib/webdeploy",
  "hooks": [{"id": "site", "provider": "github", "secret": "s3cr3t"}],
  "sites": [{
    "name": "blog",
    "repository": "https://git.example.com/me/blog.git",
    "rules": [{"repositories": ["me/blog"], "branches": ["main"]}],
    "build": {"command": ["make", "public"], "env": {"HUGO_ENV": "production"}},
    "output": "public",
    "webroot": "/srv/www/blog",
    "timeout": "5m"
  }]
}`

func TestParseConfigDefaults(t *testing.T) {
	c, err := webdeploy.ParseConfig([]byte(validConfig))
	if err != nil {
		t.Fatal(err)
	}
	s := c.Sites[0]
	if s.Keep != webdeploy.DefaultKeep || s.LogKeep != webdeploy.DefaultLogKeep || c.MaxBodyBytes != webdeploy.DefaultMaxBody || s.Output != "public" {
		t.Fatalf("defaults not applied: %+v", s)
	}
	if c.Hooks[0].Payload != webdeploy.GitHub {
		t.Fatalf("payload layout %q", c.Hooks[0].Payload)
	}
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	edit := func(old, new string) string {
		if !strings.Contains(validConfig, old) {
			t.Fatalf("test bug: %q not in config", old)
		}
		return strings.Replace(validConfig, old, new, 1)
	}
	for _, tc := range []struct{ doc, key, msg string }{
		{edit(`"state_dir": "/var/lib/webdeploy",`, ``), "state_dir", "required"},
		{edit(`"secret": "s3cr3t"`, `"secrt": "x"`), "secrt", "unknown key"},
		{edit(`"secret": "s3cr3t"`, `"allow_sha1": true`), "hooks[0]", "no secret"},
		{edit(`"provider": "github"`, `"provider": "bitbucket"`), "hooks[0].provider", "bitbucket"},
		{edit(`"name": "blog"`, `"name": "../etc"`), "sites[0].name", "letters"},
		{edit(`"webroot": "/srv/www/blog"`, `"webroot": "www"`), "sites[0].webroot", "absolute"},
		{edit(`"output": "public"`, `"output": "../x"`), "sites[0].output", "inside"},
		{edit(`"branches": ["main"]`, `"branches": ["[main"]`), "sites[0].rules[0].branches[0]", "bad glob"},
		{edit(`"branches": ["main"]`, `"events": ["merge"]`), "sites[0].rules[0].events[0]", "not an event"},
		{edit(`"rules": [{"repositories": ["me/blog"], "branches": ["main"]}]`, `"rules": []`), "sites[0].rules", "at least one"},
		{edit(`"env": {"HUGO_ENV": "production"}`, `"env": {"DEPLOY_X": "1"}`), "sites[0].build.env.DEPLOY_X", "DEPLOY_"},
		{edit(`"command": ["make", "public"]`, `"command": ["make"], "shell": "make"`), "sites[0].build", "not both"},
		{edit(`"timeout": "5m"`, `"timeout": "soon"`), "", "duration"},
		{edit(`"timeout": "5m"`, `"timeout": 5`), "", "duration"},
		{`{"state_dir": 1}`, "state_dir", "expected string"},
		{"{\n  \"state_dir\": \"/x\",\n  oops\n}", "", "line 3"},
	} {
		_, err := webdeploy.ParseConfig([]byte(tc.doc))
		var ce *webdeploy.ConfigError
		if !errors.As(err, &ce) || !errors.Is(err, webdeploy.ErrConfig) {
			t.Errorf("want a ConfigError for key %q, got %v", tc.key, err)
			continue
		}
		if ce.Key != tc.key || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("got key %q, %q; want key %q containing %q", ce.Key, err, tc.key, tc.msg)
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}

func TestLoadConfigSecretFile(t *testing.T) {
	dir := t.TempDir()
	sec := filepath.Join(dir, "secret")
	os.WriteFile(sec, []byte("from-file\n"), 0o600)
	doc := strings.Replace(validConfig, `"secret": "s3cr3t"`, `"secret_file": "`+sec+`"`, 1)
	cf := filepath.Join(dir, "webdeploy.json")
	os.WriteFile(cf, []byte(doc), 0o600)
	c, err := webdeploy.LoadConfig(cf)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(c.Hooks[0].VerifierConfig().Secret); got != "from-file" {
		t.Fatalf("secret %q", got)
	}
	os.WriteFile(cf, []byte(strings.Replace(doc, sec, filepath.Join(dir, "nope"), 1)), 0o600)
	_, err = webdeploy.LoadConfig(cf)
	var ce *webdeploy.ConfigError
	if !errors.As(err, &ce) || ce.File != cf || ce.Key != "hooks[0].secret_file" {
		t.Fatalf("missing secret file: %v", err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(validConfig))
	f.Add([]byte(`{"state_dir":"/s","hooks":[{"id":"h","provider":"standard","secret":"whsec_AAAA"}],"sites":[]}`))
	f.Add([]byte(`{"sites":[{"rules":[{"tags":["v*"]}]}]}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		c, err := webdeploy.ParseConfig(doc)
		if err != nil {
			if !errors.Is(err, webdeploy.ErrConfig) {
				t.Fatalf("error does not wrap ErrConfig: %v", err)
			}
			return
		}
		if c.StateDir == "" || len(c.Sites) == 0 || len(c.Hooks) == 0 {
			t.Fatalf("accepted an incomplete config: %+v", c)
		}
		for _, s := range c.Sites {
			if !filepath.IsAbs(s.Webroot) || s.Keep < 1 || len(s.Rules) == 0 {
				t.Fatalf("accepted a bad site: %+v", s)
			}
		}
	})
}

// A FIFO given as the configuration or as a secret file is refused at
// once, not waited on.
func TestLoadConfigRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cf := filepath.Join(dir, "webdeploy.json")
	os.WriteFile(cf, []byte(strings.Replace(validConfig, `"secret": "s3cr3t"`, `"secret_file": "`+fifo+`"`, 1)), 0o600)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for _, file := range []string{fifo, cf} {
			_, err := webdeploy.LoadConfig(file)
			var ce *webdeploy.ConfigError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("LoadConfig with a FIFO (%s): %v", file, err)
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("LoadConfig blocked on a FIFO")
	}
}
