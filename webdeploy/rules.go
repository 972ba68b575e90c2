package webdeploy

import (
	"fmt"
	"path"
	"slices"
)

// Rule selects the pushes a site deploys. Every non-empty field must match
// (AND); within a field any entry may match (OR). A site with several rules
// deploys a push that any of them matches.
type Rule struct {
	// Providers limits the rule to deliveries of these providers.
	Providers []Provider `json:"providers,omitempty"`
	// Repositories are globs on the forge's full name ("owner/site",
	// "owner/*"); path.Match syntax, "*" does not cross "/".
	Repositories []string `json:"repositories,omitempty"`
	// Events are EventPush and/or EventTagPush.
	Events []string `json:"events,omitempty"`
	// Branches are globs on the branch name ("main", "release/*"; "**"
	// matches any branch). Tags are globs on the tag name. With neither,
	// any ref matches; with only one, the other kind of ref never does.
	Branches []string `json:"branches,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	// Deletions makes a ref deletion match too (there is nothing to build,
	// so the deployer records and skips it). Off by default.
	Deletions bool `json:"deletions,omitempty"`
}

// Match reports whether the rule selects the push.
func (r *Rule) Match(ev *PushEvent) bool {
	if ev.Deleted && !r.Deletions {
		return false
	}
	if len(r.Providers) > 0 && !slices.Contains(r.Providers, ev.Provider) {
		return false
	}
	if len(r.Events) > 0 && !slices.Contains(r.Events, ev.Event) {
		return false
	}
	if len(r.Repositories) > 0 && !anyGlob(r.Repositories, ev.Repository) {
		return false
	}
	if len(r.Branches) == 0 && len(r.Tags) == 0 {
		return true
	}
	if b := ev.Branch(); b != "" {
		return anyGlob(r.Branches, b)
	}
	if t := ev.Tag(); t != "" {
		return anyGlob(r.Tags, t)
	}
	return false
}

func anyGlob(globs []string, s string) bool {
	for _, g := range globs {
		if g == "**" {
			return true
		}
		if ok, _ := path.Match(g, s); ok {
			return true
		}
	}
	return false
}

// validate checks the rule's patterns; key is its place in the config.
func (r *Rule) validate(key string) error {
	for field, globs := range map[string][]string{"repositories": r.Repositories, "branches": r.Branches, "tags": r.Tags} {
		for i, g := range globs {
			if g == "" {
				return &ConfigError{Key: fmt.Sprintf("%s.%s[%d]", key, field, i), Msg: "empty pattern"}
			}
			if _, err := path.Match(g, ""); err != nil {
				return &ConfigError{Key: fmt.Sprintf("%s.%s[%d]", key, field, i), Msg: fmt.Sprintf("bad glob %q: %v", g, err)}
			}
		}
	}
	for i, e := range r.Events {
		if e != EventPush && e != EventTagPush {
			return &ConfigError{Key: fmt.Sprintf("%s.events[%d]", key, i), Msg: fmt.Sprintf("%q is not an event (want %q or %q)", e, EventPush, EventTagPush)}
		}
	}
	for i, p := range r.Providers {
		if !knownProvider(p) {
			return &ConfigError{Key: fmt.Sprintf("%s.providers[%d]", key, i), Msg: fmt.Sprintf("unknown provider %q", p)}
		}
	}
	return nil
}

func knownProvider(p Provider) bool {
	switch p {
	case GitHub, GitLab, Gitea, Forgejo, Gogs, StandardWebhooks, GenericHMAC:
		return true
	}
	return false
}
