package webdeploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/webdeploy"
	"github.com/hostkit-dev/hostkit/webdeploy/webhooktest"
)

type enqueued struct {
	site, delivery string
	ev             webdeploy.PushEvent
}

type fakeSink struct {
	mu       sync.Mutex
	got      []enqueued
	fail     error
	failSite string // with fail: fail only for this site
}

func (f *fakeSink) Enqueue(site string, ev *webdeploy.PushEvent, delivery string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil && (f.failSite == "" || f.failSite == site) {
		return f.fail
	}
	f.got = append(f.got, enqueued{site, delivery, *ev})
	return nil
}

func (f *fakeSink) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.got)
}

const testSecret = "correct horse battery staple"

func receiverConfig(t testing.TB, maxBody int64) *webdeploy.Config {
	doc := `{
  "state_dir": "/nonexistent",
  "max_body_bytes": ` + itoa(maxBody) + `,
  "hooks": [
    {"id": "gh", "provider": "github", "secret": "` + testSecret + `"},
    {"id": "gl", "provider": "gitlab", "secret": "` + testSecret + `"},
    {"id": "gt", "provider": "gitea", "secret": "` + testSecret + `"},
    {"id": "sw", "provider": "standard", "secret": "` + testSecret + `", "tolerance": "1m"}
  ],
  "sites": [{"name": "blog", "repository": "/nonexistent.git", "webroot": "/srv/blog",
             "rules": [{"repositories": ["me/blog"], "branches": ["main"]}]},
            {"name": "docs", "repository": "/nonexistent.git", "webroot": "/srv/docs",
             "rules": [{"repositories": ["me/blog"], "tags": ["v*"]}]}]
}`
	c, err := webdeploy.ParseConfig([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func newTestReceiver(t testing.TB, maxBody int64) (*httptest.Server, *fakeSink) {
	sink := &fakeSink{}
	rc, err := webdeploy.NewReceiver(receiverConfig(t, maxBody), sink)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return srv, sink
}

type reply struct {
	code int
	ans  webdeploy.Answer
	raw  string
}

func post(t testing.TB, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var a webdeploy.Answer
	if err := json.Unmarshal(b, &a); err != nil {
		t.Fatalf("answer %d is not JSON: %q", resp.StatusCode, b)
	}
	if strings.Contains(string(b), testSecret) {
		t.Fatalf("answer leaks the secret: %s", b)
	}
	return reply{resp.StatusCode, a, string(b)}
}

func signed(t testing.TB, url string, p webdeploy.Provider, event string, body []byte, h http.Header) *http.Request {
	t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url, bytes.NewReader(body))
	for k, v := range h {
		req.Header[k] = v
	}
	if err := webhooktest.Sign(req.Header, webdeploy.VerifierConfig{Provider: p, Secret: []byte(testSecret)}, event, body, time.Now()); err != nil {
		t.Fatal(err)
	}
	return req
}

var blogPush = webhooktest.Push{Ref: "refs/heads/main", After: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", Repository: "me/blog"}

func TestReceiverAcceptsAndDedups(t *testing.T) {
	srv, sink := newTestReceiver(t, 0)
	body := webhooktest.GitHubPush(blogPush)
	id := http.Header{"X-Github-Delivery": {"72d3162e-cc78-11e3-81ab-4c9367dc0958"}}
	r := post(t, signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", body, id))
	if r.code != http.StatusAccepted || r.ans.Status != "accepted" || len(r.ans.Sites) != 1 || r.ans.Sites[0] != "blog" {
		t.Fatalf("push: %d %s", r.code, r.raw)
	}
	if sink.count() != 1 || sink.got[0].ev.After != blogPush.After || sink.got[0].delivery != "72d3162e-cc78-11e3-81ab-4c9367dc0958" {
		t.Fatalf("sink got %+v", sink.got)
	}
	// The forge's "Redeliver" keeps the delivery id: acknowledged, not deployed again.
	r = post(t, signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", body, id))
	if r.code != http.StatusOK || r.ans.Status != "duplicate" || sink.count() != 1 {
		t.Fatalf("redelivery: %d %s, sink %d", r.code, r.raw, sink.count())
	}
	// A tag push goes to the site whose rules want tags.
	tag := blogPush
	tag.Ref = "refs/tags/v1.0"
	r = post(t, signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", webhooktest.GitHubPush(tag), nil))
	if r.code != http.StatusAccepted || r.ans.Sites[0] != "docs" {
		t.Fatalf("tag push: %d %s", r.code, r.raw)
	}
	// Form-encoded (GitHub's other content type): the signature covers the raw form body.
	form := []byte("payload=" + url.QueryEscape(string(webhooktest.GitHubPush(webhooktest.Push{Ref: "refs/heads/main", After: strings.Repeat("ab", 20), Repository: "me/blog"}))))
	r = post(t, signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", form, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}))
	if r.code != http.StatusAccepted || r.ans.Commit != strings.Repeat("ab", 20) {
		t.Fatalf("form push: %d %s", r.code, r.raw)
	}
}

// A push for two sites whose second enqueue fails is answered 503; the
// forge's retry (same delivery id) queues only the site that was missed.
func TestReceiverPartialEnqueueRetry(t *testing.T) {
	doc := `{"state_dir": "/nonexistent",
  "hooks": [{"id": "gh", "provider": "github", "secret": "` + testSecret + `"}],
  "sites": [{"name": "a", "repository": "/x.git", "webroot": "/srv/a", "rules": [{"branches": ["main"]}]},
            {"name": "b", "repository": "/x.git", "webroot": "/srv/b", "rules": [{"branches": ["main"]}]}]}`
	cfg, err := webdeploy.ParseConfig([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	sink := &fakeSink{fail: webdeploy.ErrClosed, failSite: "b"}
	rc, err := webdeploy.NewReceiver(cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	body := webhooktest.GitHubPush(blogPush)
	id := http.Header{"X-Github-Delivery": {"retry-me"}}
	if r := post(t, signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", body, id)); r.code != http.StatusServiceUnavailable || !strings.Contains(r.ans.Error, "site b") {
		t.Fatalf("partial failure: %d %s", r.code, r.raw)
	}
	sink.mu.Lock()
	sink.fail = nil
	sink.mu.Unlock()
	if r := post(t, signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", body, id)); r.code != http.StatusAccepted {
		t.Fatalf("retry: %d %s", r.code, r.raw)
	}
	var sites []string
	for _, g := range sink.got {
		sites = append(sites, g.site)
	}
	if strings.Join(sites, ",") != "a,b" {
		t.Fatalf("sites queued across the two attempts: %v, want a once and b once", sites)
	}
	// and a third delivery of the same id is a duplicate
	if r := post(t, signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", body, id)); r.code != http.StatusOK || r.ans.Status != "duplicate" || sink.count() != 2 {
		t.Fatalf("redelivery: %d %s", r.code, r.raw)
	}
}

func TestReceiverProviders(t *testing.T) {
	srv, sink := newTestReceiver(t, 0)
	r := post(t, signed(t, srv.URL+"/hooks/gl", webdeploy.GitLab, "push", webhooktest.GitLabPush(blogPush), nil))
	if r.code != http.StatusAccepted {
		t.Fatalf("gitlab: %d %s", r.code, r.raw)
	}
	r = post(t, signed(t, srv.URL+"/hooks/gt", webdeploy.Gitea, "push", webhooktest.GitHubPush(blogPush), nil))
	if r.code != http.StatusAccepted {
		t.Fatalf("gitea: %d %s", r.code, r.raw)
	}
	body := webhooktest.GitHubPush(blogPush)
	req := signed(t, srv.URL+"/hooks/sw", webdeploy.StandardWebhooks, "push", body, http.Header{"Webhook-Id": {"msg_1"}})
	replay := req.Header.Clone()
	if r = post(t, req); r.code != http.StatusAccepted {
		t.Fatalf("standard: %d %s", r.code, r.raw)
	}
	// A replay of the same message id is not deployed twice.
	req2, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/sw", bytes.NewReader(body))
	req2.Header = replay
	if r = post(t, req2); r.code != http.StatusOK || r.ans.Status != "duplicate" {
		t.Fatalf("standard replay: %d %s", r.code, r.raw)
	}
	// An old one is refused by its timestamp.
	old, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/sw", bytes.NewReader(body))
	webhooktest.Sign(old.Header, webdeploy.VerifierConfig{Provider: webdeploy.StandardWebhooks, Secret: []byte(testSecret)}, "push", body, time.Now().Add(-time.Hour))
	if r = post(t, old); r.code != http.StatusUnauthorized || !strings.Contains(r.ans.Error, "timestamp") {
		t.Fatalf("stale standard: %d %s", r.code, r.raw)
	}
	if sink.count() != 3 {
		t.Fatalf("sink got %d pushes, want 3", sink.count())
	}
}

func TestReceiverRefusals(t *testing.T) {
	srv, sink := newTestReceiver(t, 64<<10)
	body := webhooktest.GitHubPush(blogPush)
	check := func(name string, req *http.Request, code int, want string) {
		t.Helper()
		r := post(t, req)
		if r.code != code || !strings.Contains(r.ans.Error+r.ans.Status, want) {
			t.Errorf("%s: %d %s; want %d containing %q", name, r.code, r.raw, code, want)
		}
	}
	get, _ := http.NewRequest(http.MethodGet, srv.URL+"/hooks/gh", nil)
	check("GET", get, http.StatusMethodNotAllowed, "POST")
	check("unknown hook", signed(t, srv.URL+"/hooks/nope", webdeploy.GitHub, "push", body, nil), http.StatusNotFound, "no hook")
	unsigned, _ := http.NewRequest(http.MethodPost, srv.URL+"/hooks/gh", bytes.NewReader(body))
	check("unsigned", unsigned, http.StatusUnauthorized, "X-Hub-Signature-256")
	wrong := signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", body, nil)
	wrong.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
	check("wrong signature", wrong, http.StatusUnauthorized, "does not match")
	trunc := signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", body, nil)
	trunc.Header.Set("X-Hub-Signature-256", trunc.Header.Get("X-Hub-Signature-256")[:40])
	check("truncated signature", trunc, http.StatusUnauthorized, "truncated")
	gl := signed(t, srv.URL+"/hooks/gl", webdeploy.GitLab, "push", body, nil)
	gl.Header.Set("X-Gitlab-Token", "guess")
	check("wrong gitlab token", gl, http.StatusUnauthorized, "X-Gitlab-Token")
	big := bytes.Repeat([]byte("x"), 65<<10+1)
	check("oversized (Content-Length)", signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", big, nil), http.StatusRequestEntityTooLarge, "limit")
	chunked := signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", big, nil)
	chunked.ContentLength = -1
	chunked.Body = io.NopCloser(bytes.NewReader(big)) // no length: enforced while reading
	check("oversized (chunked)", chunked, http.StatusRequestEntityTooLarge, "limit")
	check("malformed JSON", signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", []byte(`{"ref":`), nil), http.StatusBadRequest, "JSON")
	odd := blogPush
	odd.Ref = "refs/heads/main;reboot"
	check("odd ref", signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", webhooktest.GitHubPush(odd), nil), http.StatusBadRequest, "';'")
	check("ping", signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "ping", []byte(`{"zen":"Keep it logically awesome.","hook_id":1}`), nil), http.StatusOK, "pong")
	check("other event", signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "issues", []byte(`{}`), nil), http.StatusOK, "ignored")
	dev := blogPush
	dev.Ref = "refs/heads/dev"
	check("no rule matches", signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", webhooktest.GitHubPush(dev), nil), http.StatusOK, "no site's rules match refs/heads/dev")
	if sink.count() != 0 {
		t.Fatalf("refused deliveries reached the sink: %+v", sink.got)
	}
	// Shutting down: 503, and the delivery id is not remembered, so the retry works.
	sink.fail = webdeploy.ErrClosed
	id := http.Header{"X-Github-Delivery": {"retry-me"}}
	check("closed", signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", body, id), http.StatusServiceUnavailable, "retry")
	sink.fail = nil
	check("retry", signed(t, srv.URL+"/hooks/gh", webdeploy.GitHub, "push", body, id), http.StatusAccepted, "accepted")
}

func BenchmarkReceiverGitHubPush(b *testing.B) {
	sink := &fakeSink{}
	rc, err := webdeploy.NewReceiver(receiverConfig(b, 0), sink)
	if err != nil {
		b.Fatal(err)
	}
	p := blogPush
	p.PadTo = 7500
	body := webhooktest.GitHubPush(p)
	h := http.Header{}
	webhooktest.Sign(h, webdeploy.VerifierConfig{Provider: webdeploy.GitHub, Secret: []byte(testSecret)}, "push", body, time.Now())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		req := httptest.NewRequest(http.MethodPost, "/hooks/gh", bytes.NewReader(body))
		req.Header = h.Clone()
		req.Header.Set("X-GitHub-Delivery", "d-"+itoa(int64(i)))
		w := httptest.NewRecorder()
		rc.ServeHTTP(w, req)
		if w.Code != http.StatusAccepted {
			b.Fatalf("%d %s", w.Code, w.Body)
		}
		if i%1024 == 0 {
			sink.mu.Lock()
			sink.got = sink.got[:0]
			sink.mu.Unlock()
		}
	}
}

func BenchmarkVerifyGitHub(b *testing.B) {
	v := mustVerifier(b, webdeploy.VerifierConfig{Provider: webdeploy.GitHub, Secret: []byte(testSecret)})
	p := blogPush
	p.PadTo = 7500
	body := webhooktest.GitHubPush(p)
	h := http.Header{}
	v.Sign(h, body, "", time.Now())
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := v.Verify(h, body, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePush(b *testing.B) {
	p := blogPush
	p.PadTo = 7500
	body := webhooktest.GitHubPush(p)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := webdeploy.ParsePush(webdeploy.GitHub, body); err != nil {
			b.Fatal(err)
		}
	}
}
