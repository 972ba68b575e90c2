package webdeploy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/webdeploy"
	"github.com/hostkit-dev/hostkit/webdeploy/webhooktest"
)

// GitLab, Gitea, Forgejo and Gogs push payloads carry no "forced" flag, so
// a real force-push of the branch back from the live commit (before = the
// live commit, after = one of its ancestors) must still deploy; only a push
// that does not move the branch away from the live commit (a replay) is
// refused.
func TestRewindByForcePushWithoutForcedFlag(t *testing.T) {
	for _, p := range []webdeploy.Provider{webdeploy.GitLab, webdeploy.Gitea} {
		t.Run(string(p), func(t *testing.T) {
			s := newSite(t, time.Minute, 20)
			c1 := s.commit(t, 1, nil)
			c2 := s.commit(t, 2, nil)
			s.repo.Push("main")
			s.enqueue(t, c1)
			s.waitIdle(t)
			s.enqueue(t, c2)
			s.waitIdle(t)
			payload := func(before, after string) *webdeploy.PushEvent {
				push := webhooktest.Push{Ref: "refs/heads/main", Before: before, After: after, Repository: "me/site"}
				body := webhooktest.GitHubPush(push)
				if p == webdeploy.GitLab {
					body = webhooktest.GitLabPush(push)
				}
				ev, err := webdeploy.ParsePush(p, body)
				if err != nil {
					t.Fatal(err)
				}
				if ev.Forced {
					t.Fatalf("%s payload reports forced; the test needs one without the flag", p)
				}
				return ev
			}

			// A replay of the first push (before: zero, after: c1): refused.
			if err := s.d.Enqueue("site", payload(webdeploy.ZeroCommit, c1), "replay"); err != nil {
				t.Fatal(err)
			}
			st := s.waitIdle(t)
			if r := st.History[len(st.History)-1]; r.Status != webdeploy.StatusRefused || !strings.Contains(s.live(t), "version 2") {
				t.Fatalf("replay: %+v, live %q", r, s.live(t))
			}

			// The branch force-pushed from the live c2 back to c1: deployed.
			if err := s.d.Enqueue("site", payload(c2, c1), "force-back"); err != nil {
				t.Fatal(err)
			}
			st = s.waitIdle(t)
			if r := st.History[len(st.History)-1]; r.Status != webdeploy.StatusSucceeded || !strings.Contains(s.live(t), "version 1") || st.LiveCommit != c1 {
				t.Fatalf("force-push back from the live commit on %s: %+v, live %q", p, r, s.live(t))
			}
		})
	}
}
