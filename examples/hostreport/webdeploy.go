package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"

	"github.com/hostkit-dev/hostkit/webdeploy"
)

func init() {
	registerWithFlags(60, "webdeploy", "Push-to-deploy", func(fs *flag.FlagSet) runFunc {
		config := fs.String("webdeploy-config", "", "webhookd configuration file (default: the first of "+strings.Join(webdeployConfigPaths, ", ")+" that exists)")
		webroot := fs.String("webdeploy-webroot", "", "a webroot to check the publish layout of (releases/ and current)")
		return func(ctx context.Context, s *Section) { reportWebdeploy(ctx, s, *config, *webroot) }
	})
}

var webdeployConfigPaths = []string{"/etc/webhookd/webhookd.json", "/etc/webhookd.json", "/usr/local/etc/webhookd.json"}

// webdeployReport is the section's --json data.
type webdeployReport struct {
	Git       string             `json:"git,omitempty"`
	Config    string             `json:"config,omitempty"`
	Hooks     int                `json:"hooks,omitempty"`
	Sites     []string           `json:"sites,omitempty"`
	Webroots  []webdeploy.Health `json:"webroots,omitempty"`
	AdnanhBin string             `json:"adnanh_webhook,omitempty"`
}

func reportWebdeploy(ctx context.Context, s *Section, configFile, webroot string) {
	var data webdeployReport
	defer func() { s.Data = data }()

	if path, err := exec.LookPath("git"); err != nil {
		s.Miss("git is not installed: deploys fetch with it (apt-get install git)")
	} else if out, err := exec.CommandContext(ctx, path, "--version").Output(); err != nil {
		s.Miss("git at %s did not run: %v", path, err)
	} else {
		data.Git = strings.TrimSpace(string(out))
		s.Addf("git", "%s (%s)", data.Git, path)
	}
	if p, err := exec.LookPath("webhook"); err == nil {
		data.AdnanhBin = p
		s.Addf("adnanh/webhook", "installed at %s (webhookd replaces its hooks.json + rebuild script)", p)
	}

	explicit := configFile != ""
	if !explicit {
		for _, p := range webdeployConfigPaths {
			if _, err := os.Stat(p); err == nil {
				configFile = p
				break
			}
		}
	}
	var webroots []webdeploy.SiteConfig
	switch {
	case configFile == "":
		s.Add("webhook config", "none found")
		s.Miss("no webhookd configuration at %s (give one with --webdeploy-config)", strings.Join(webdeployConfigPaths, ", "))
	default:
		data.Config = configFile
		// Only a regular file is read: opening a FIFO would block.
		if fi, err := os.Stat(configFile); err == nil && !fi.Mode().IsRegular() {
			s.Add("webhook config", configFile)
			s.Miss("%s is not a regular file (%s)", configFile, fi.Mode().Type())
			break
		}
		cfg, err := webdeploy.LoadConfig(configFile)
		switch {
		case errors.Is(err, fs.ErrPermission):
			s.Miss("cannot read %s (or a secret file it names): permission denied; run as the webhookd user or root", configFile)
		case errors.Is(err, fs.ErrNotExist):
			s.Add("webhook config", configFile+" (missing)")
			s.Miss("%v", err)
		case err != nil:
			s.Add("webhook config", configFile)
			s.Miss("the configuration is invalid: %v", err)
		default:
			data.Hooks = len(cfg.Hooks)
			for _, sc := range cfg.Sites {
				data.Sites = append(data.Sites, sc.Name)
			}
			s.Addf("webhook config", "%s: %d hooks, %d sites (%s), state in %s", configFile, len(cfg.Hooks), len(cfg.Sites), strings.Join(data.Sites, ", "), cfg.StateDir)
			webroots = cfg.Sites
		}
	}
	if webroot != "" {
		webroots = append(webroots, webdeploy.SiteConfig{Name: "--webdeploy-webroot", Webroot: webroot, Keep: webdeploy.DefaultKeep})
	}
	if len(webroots) == 0 {
		s.Add("publish layout", "no webroot to check (give one with --webdeploy-webroot)")
	}
	for _, sc := range webroots {
		if ctx.Err() != nil {
			s.Miss("stopped: %v", ctx.Err())
			return
		}
		h := webdeploy.NewPublisher(sc.Webroot, sc.Keep).Check()
		data.Webroots = append(data.Webroots, h)
		label := "site " + sc.Name
		if sc.Name == "--webdeploy-webroot" {
			label = "webroot"
		}
		live := h.Live
		if live == "" {
			live = "nothing live"
		}
		v := fmt.Sprintf("%s: %s, %d releases kept", sc.Webroot, live, len(h.Releases))
		if len(h.Debris) > 0 {
			v += fmt.Sprintf(", %d interrupted publishes to clean up", len(h.Debris))
		}
		if len(h.Problems) == 0 {
			v += ", healthy"
		}
		s.Add(label, v)
		for _, p := range h.Problems {
			s.Miss("%s: %s", sc.Webroot, p)
		}
	}
}
