package webdeploy_test

import (
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/hostkit-dev/hostkit/webdeploy"
	"github.com/hostkit-dev/hostkit/webdeploy/webhooktest"
	"pgregory.net/rapid"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePushFixtures(t *testing.T) {
	for _, tc := range []struct {
		file   string
		layout webdeploy.Provider
		want   webdeploy.PushEvent
		head   string
	}{
		{"github-push-new-branch.json", webdeploy.GitHub, webdeploy.PushEvent{
			Provider: webdeploy.GitHub, Event: webdeploy.EventPush, Ref: "refs/heads/master",
			Before: webdeploy.ZeroCommit, After: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", Created: true,
			Repository: "Codertocat/Hello-World", CloneURL: "https://github.com/Codertocat/Hello-World.git",
			SSHURL: "git@github.com:Codertocat/Hello-World.git", Pusher: "Codertocat",
		}, "Initial commit"},
		{"github-push-tag-deleted.json", webdeploy.GitHub, webdeploy.PushEvent{
			Provider: webdeploy.GitHub, Event: webdeploy.EventTagPush, Ref: "refs/tags/simple-tag",
			Before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", After: webdeploy.ZeroCommit, Deleted: true,
			Repository: "Codertocat/Hello-World", CloneURL: "https://github.com/Codertocat/Hello-World.git",
			SSHURL: "git@github.com:Codertocat/Hello-World.git", Pusher: "Codertocat",
		}, ""},
		{"gitlab-push.json", webdeploy.GitLab, webdeploy.PushEvent{
			Provider: webdeploy.GitLab, Event: webdeploy.EventPush, Ref: "refs/heads/master",
			Before: "95790bf891e76fee5e1747ab589903a6a1f80f22", After: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			Repository: "mike/diaspora", CloneURL: "http://example.com/mike/diaspora.git",
			SSHURL: "git@example.com:mike/diaspora.git", Pusher: "jsmith",
		}, "fixed readme"},
		{"gitea-push.json", webdeploy.Gitea, webdeploy.PushEvent{
			Provider: webdeploy.Gitea, Event: webdeploy.EventPush, Ref: "refs/heads/master",
			Before: webdeploy.ZeroCommit, After: "67b56589a45103f891bdee7c0546e5d40bc02001", Created: true,
			Repository: "example/example", CloneURL: "http://localhost:3000/example/example.git",
			SSHURL: "git@localhost:example/example.git", Pusher: "example",
		}, "example\n"},
	} {
		ev, err := webdeploy.ParsePush(tc.layout, readFixture(t, tc.file))
		if err != nil {
			t.Errorf("%s: %v", tc.file, err)
			continue
		}
		if d := cmp.Diff(tc.want, *ev, cmpopts.IgnoreFields(webdeploy.PushEvent{}, "HeadCommit")); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.file, d)
		}
		if tc.head == "" {
			if ev.HeadCommit != nil {
				t.Errorf("%s: head commit %+v on a deletion", tc.file, ev.HeadCommit)
			}
		} else if ev.HeadCommit == nil || ev.HeadCommit.Message != tc.head || ev.HeadCommit.ID != ev.After {
			t.Errorf("%s: head commit %+v, want message %q", tc.file, ev.HeadCommit, tc.head)
		}
	}
}

func TestPayloadJSONForm(t *testing.T) {
	js := readFixture(t, "github-push-new-branch.json")
	form := "payload=" + url.QueryEscape(string(js))
	got, err := webdeploy.PayloadJSON("application/x-www-form-urlencoded", []byte(form))
	if err != nil || string(got) != string(js) {
		t.Fatalf("form payload: %v", err)
	}
	if _, err := webdeploy.PayloadJSON("application/x-www-form-urlencoded", []byte("nopayload=1")); err == nil {
		t.Fatal("form without payload accepted")
	}
	if _, err := webdeploy.PayloadJSON("image/png", js); err == nil {
		t.Fatal("image/png accepted")
	}
	if got, err := webdeploy.PayloadJSON("application/json; charset=utf-8", js); err != nil || len(got) != len(js) {
		t.Fatalf("json with charset: %v", err)
	}
}

func TestParsePushErrors(t *testing.T) {
	good := `"after":"6113728f27ae82c7b1a177c8d03f9e96e0adf246","repository":{"full_name":"o/r"}`
	for _, tc := range []struct{ body, field, msg string }{
		{`{"ref":"refs/heads/main",` + good, "", "end of JSON"},
		{`{"ref":"refs/heads/main" "after":1}`, "", "byte"},
		{`{` + good + `}`, "ref", "missing"},
		{`{"ref":"refs/heads/a b",` + good + `}`, "ref", "' '"},
		{`{"ref":"refs/heads/$(reboot)",` + good + `}`, "ref", "'$'"},
		{`{"ref":"refs/heads/x;rm",` + good + `}`, "ref", "';'"},
		{`{"ref":"refs/heads/../../x",` + good + `}`, "ref", ".."},
		{`{"ref":"main",` + good + `}`, "ref", "refs/"},
		{`{"ref":"refs/heads/main","after":"xyz","repository":{"full_name":"o/r"}}`, "after", "40 or 64"},
		{`{"ref":"refs/heads/main","after":"6113728f27ae82c7b1a177c8d03f9e96e0adf24g","repository":{"full_name":"o/r"}}`, "after", "non-hex"},
		{`{"ref":"refs/heads/main","after":"6113728f27ae82c7b1a177c8d03f9e96e0adf246"}`, "repository.full_name", "missing"},
		{`{"ref":7,` + good + `}`, "ref", "expected"},
		{`{"ref":"refs/heads/main",` + good + `} {}`, "", "after top-level value"},
	} {
		_, err := webdeploy.ParsePush(webdeploy.GitHub, []byte(tc.body))
		var pe *webdeploy.PayloadError
		if !errors.As(err, &pe) || !errors.Is(err, webdeploy.ErrPayload) {
			t.Errorf("%s: %v is not a PayloadError", tc.body, err)
			continue
		}
		if pe.Field != tc.field || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got field %q, %q; want field %q containing %q", tc.body, pe.Field, err, tc.field, tc.msg)
		}
	}
}

func TestValidateRef(t *testing.T) {
	for _, ok := range []string{"refs/heads/main", "refs/heads/release/1.2", "refs/tags/v1.0.0", "refs/heads/feature-x_y+z@1", "refs/heads/a=b,c"} {
		if err := webdeploy.ValidateRef(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "main", "refs/", "refs/heads", "refs/heads/", "refs/heads/a..b", "refs/heads/.hidden", "refs/heads/x.lock",
		"refs/heads/a b", "refs/heads/a\nb", "refs/heads/`id`", "refs/heads/a|b", "refs/heads/a'b", "refs/heads/é", "refs/heads/a@{1}",
		"refs/heads/a//b", "refs/heads/end.", "refs/heads/" + strings.Repeat("x", 300)} {
		if err := webdeploy.ValidateRef(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Property: a payload built by webhooktest for any valid push parses back
// to the same push, in both layouts.
func TestParsePushRoundTripProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		kind := rapid.SampledFrom([]string{"heads", "tags"}).Draw(t, "kind")
		name := rapid.StringMatching(`[a-z0-9][a-z0-9_+=,@-]{0,10}(/[a-z0-9][a-z0-9_-]{0,10}){0,2}`).Draw(t, "name")
		p := webhooktest.Push{
			Ref:        "refs/" + kind + "/" + name,
			Before:     rapid.StringMatching(`[0-9a-f]{40}`).Draw(t, "before"),
			After:      rapid.StringMatching(`[0-9a-f]{40}`).Draw(t, "after"),
			Repository: rapid.StringMatching(`[a-z][a-z0-9-]{0,10}/[a-z][a-z0-9.-]{0,10}`).Draw(t, "repo"),
			Pusher:     rapid.StringMatching(`[a-z]{1,8}`).Draw(t, "pusher"),
			PadTo:      rapid.IntRange(0, 8000).Draw(t, "pad"),
		}
		layout := rapid.SampledFrom([]webdeploy.Provider{webdeploy.GitHub, webdeploy.GitLab}).Draw(t, "layout")
		body := webhooktest.GitHubPush(p)
		if layout == webdeploy.GitLab {
			body = webhooktest.GitLabPush(p)
		}
		if len(body) < p.PadTo {
			t.Fatalf("payload %d bytes, asked for %d", len(body), p.PadTo)
		}
		ev, err := webdeploy.ParsePush(layout, body)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Ref != p.Ref || ev.After != p.After || ev.Before != p.Before || ev.Repository != p.Repository || ev.Pusher != p.Pusher {
			t.Fatalf("round trip: %+v from %+v", ev, p)
		}
		if (kind == "tags") != (ev.Event == webdeploy.EventTagPush) || (kind == "heads") != (ev.Branch() == name) {
			t.Fatalf("kind %s parsed as %s (branch %q)", kind, ev.Event, ev.Branch())
		}
		if ev.HeadCommit == nil || ev.HeadCommit.ID != p.After {
			t.Fatalf("head commit %+v", ev.HeadCommit)
		}
	})
}

// Property: every ref ValidateRef accepts is free of shell syntax.
func TestValidateRefShellSafeProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ref := "refs/heads/" + rapid.String().Draw(t, "name")
		if webdeploy.ValidateRef(ref) != nil {
			return
		}
		if strings.ContainsAny(ref, " \t\n$`'\"\\;|&<>(){}[]*?!~^:#%") {
			t.Fatalf("accepted %q", ref)
		}
	})
}

func FuzzParsePush(f *testing.F) {
	for _, name := range []string{"github-push-new-branch.json", "github-push-tag-deleted.json", "gitlab-push.json", "gitea-push.json"} {
		f.Add(readFixture(f, name), name == "gitlab-push.json")
	}
	f.Add([]byte(`{"ref":"refs/heads/main","after":"6113728f27ae82c7b1a177c8d03f9e96e0adf246","repository":{"full_name":"o/r"}}`), false)
	f.Add([]byte(`{"ref":null}`), true)
	f.Fuzz(func(t *testing.T, body []byte, gitlab bool) {
		layout := webdeploy.GitHub
		if gitlab {
			layout = webdeploy.GitLab
		}
		ev, err := webdeploy.ParsePush(layout, body)
		if err != nil {
			if !errors.Is(err, webdeploy.ErrPayload) {
				t.Fatalf("error does not wrap ErrPayload: %v", err)
			}
			return
		}
		if webdeploy.ValidateRef(ev.Ref) != nil || (len(ev.After) != 40 && len(ev.After) != 64) || ev.Repository == "" {
			t.Fatalf("accepted an invalid push: %+v", ev)
		}
	})
}
