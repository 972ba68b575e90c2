package webdeploy_test

import (
	"testing"

	"github.com/hostkit-dev/hostkit/webdeploy"
)

func TestRuleMatch(t *testing.T) {
	ev := func(ref string, deleted bool) *webdeploy.PushEvent {
		e := &webdeploy.PushEvent{Provider: webdeploy.GitHub, Ref: ref, Repository: "me/site", Event: webdeploy.EventPush, Deleted: deleted}
		if e.Tag() != "" {
			e.Event = webdeploy.EventTagPush
		}
		return e
	}
	for _, tc := range []struct {
		name string
		r    webdeploy.Rule
		ev   *webdeploy.PushEvent
		want bool
	}{
		{"any ref", webdeploy.Rule{}, ev("refs/heads/x", false), true},
		{"branch", webdeploy.Rule{Branches: []string{"main"}}, ev("refs/heads/main", false), true},
		{"other branch", webdeploy.Rule{Branches: []string{"main"}}, ev("refs/heads/dev", false), false},
		{"glob", webdeploy.Rule{Branches: []string{"release/*"}}, ev("refs/heads/release/1.0", false), true},
		{"glob does not cross /", webdeploy.Rule{Branches: []string{"release/*"}}, ev("refs/heads/release/1/x", false), false},
		{"** any", webdeploy.Rule{Branches: []string{"**"}}, ev("refs/heads/a/b/c", false), true},
		{"tag not branch", webdeploy.Rule{Branches: []string{"**"}}, ev("refs/tags/v1", false), false},
		{"tag glob", webdeploy.Rule{Tags: []string{"v*"}}, ev("refs/tags/v1.2", false), true},
		{"tag rule ignores branch", webdeploy.Rule{Tags: []string{"v*"}}, ev("refs/heads/v1", false), false},
		{"deletion ignored", webdeploy.Rule{Branches: []string{"main"}}, ev("refs/heads/main", true), false},
		{"deletion wanted", webdeploy.Rule{Branches: []string{"main"}, Deletions: true}, ev("refs/heads/main", true), true},
		{"repo", webdeploy.Rule{Repositories: []string{"me/*"}}, ev("refs/heads/main", false), true},
		{"other repo", webdeploy.Rule{Repositories: []string{"you/site"}}, ev("refs/heads/main", false), false},
		{"provider", webdeploy.Rule{Providers: []webdeploy.Provider{webdeploy.GitLab}}, ev("refs/heads/main", false), false},
		{"event", webdeploy.Rule{Events: []string{webdeploy.EventTagPush}}, ev("refs/heads/main", false), false},
		{"combined", webdeploy.Rule{Providers: []webdeploy.Provider{webdeploy.GitHub}, Repositories: []string{"me/site"}, Events: []string{webdeploy.EventPush}, Branches: []string{"main"}}, ev("refs/heads/main", false), true},
	} {
		if got := tc.r.Match(tc.ev); got != tc.want {
			t.Errorf("%s: Match = %v, want %v", tc.name, got, tc.want)
		}
	}
}
