package webdeploy_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hostkit-dev/hostkit/webdeploy"
	"github.com/hostkit-dev/hostkit/webdeploy/webhooktest"
)

// Verifying a GitHub delivery: the vector from GitHub's documentation.
func ExampleVerifier() {
	v, err := webdeploy.NewVerifier(webdeploy.VerifierConfig{Provider: webdeploy.GitHub, Secret: []byte("It's a Secret to Everybody")})
	if err != nil {
		panic(err)
	}
	h := http.Header{}
	h.Set("X-Hub-Signature-256", "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")
	fmt.Println(v.Verify(h, []byte("Hello, World!"), time.Now()))
	fmt.Println(v.Verify(h, []byte("Hello, World?"), time.Now()))
	// Output:
	// <nil>
	// X-Hub-Signature-256: signature does not match (the HMAC of the raw body with this hook's secret differs; check the secret and that the body was not re-encoded)
}

func ExampleParsePush() {
	body, _ := os.ReadFile("testdata/gitlab-push.json")
	ev, err := webdeploy.ParsePush(webdeploy.GitLab, body)
	if err != nil {
		panic(err)
	}
	fmt.Println(ev.Repository, ev.Branch(), ev.ShortCommit(), ev.Pusher)
	_, err = webdeploy.ParsePush(webdeploy.GitHub, []byte(`{"ref": "refs/heads/x;reboot"}`))
	fmt.Println(err)
	// Output:
	// mike/diaspora master da1560886d4f jsmith
	// payload field "ref": character ';' at byte 12 is not allowed in a ref (allowed: letters, digits and - . _ / + @ = ,)
}

func ExampleRule_Match() {
	r := webdeploy.Rule{Repositories: []string{"me/*"}, Branches: []string{"main", "release/*"}}
	for _, ref := range []string{"refs/heads/main", "refs/heads/release/2.0", "refs/heads/dev", "refs/tags/v1"} {
		ev := &webdeploy.PushEvent{Repository: "me/blog", Ref: ref}
		fmt.Println(ref, r.Match(ev))
	}
	// Output:
	// refs/heads/main true
	// refs/heads/release/2.0 true
	// refs/heads/dev false
	// refs/tags/v1 false
}

func ExampleParseConfig() {
	_, err := webdeploy.ParseConfig([]byte(`{
  "state_dir": "/var/lib/webhookd",
  "hooks": [{"id": "blog", "provider": "github", "secret_env": "BLOG_SECRET_UNSET"}],
  "sites": [{"name": "blog", "repository": "https://example.com/me/blog.git", "webroot": "/srv/blog",
             "rules": [{"branches": ["main"]}], "build": {"command": ["hugo", "--minify"]}, "output": "public"}]
}`))
	fmt.Println(err)
	// Output:
	// config: hooks[0].secret_env: environment variable BLOG_SECRET_UNSET is empty or unset
}

// Publishing a build output and rolling back.
func ExamplePublisher() {
	webroot, _ := os.MkdirTemp("", "webroot")
	defer os.RemoveAll(webroot)
	p := webdeploy.NewPublisher(webroot, 5)
	for i, commit := range []string{"1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"} {
		out, _ := os.MkdirTemp("", "build")
		os.WriteFile(filepath.Join(out, "index.html"), []byte(fmt.Sprintf("version %d\n", i+1)), 0o644)
		if _, err := p.Publish(context.Background(), out, commit); err != nil {
			panic(err)
		}
		os.RemoveAll(out)
	}
	show := func() {
		b, _ := os.ReadFile(filepath.Join(webroot, "current", "index.html"))
		fmt.Print(string(b))
	}
	show()
	r, _ := p.Rollback("")
	fmt.Println("rolled back to", r.Commit)
	show()
	// Output:
	// version 2
	// rolled back to 111111111111
	// version 1
}

type printSink struct{}

func (printSink) Enqueue(site string, ev *webdeploy.PushEvent, delivery string) error {
	fmt.Printf("deploy %s: %s at %s\n", site, ev.Branch(), ev.ShortCommit())
	return nil
}

// A receiver in front of any Sink (a *Deployer in production).
func ExampleNewReceiver() {
	cfg, err := webdeploy.ParseConfig([]byte(`{
  "state_dir": "/var/lib/webhookd",
  "hooks": [{"id": "blog", "provider": "github", "secret": "s3cr3t"}],
  "sites": [{"name": "blog", "repository": "/srv/git/blog.git", "webroot": "/srv/blog", "rules": [{"branches": ["main"]}]}]
}`))
	if err != nil {
		panic(err)
	}
	rc, _ := webdeploy.NewReceiver(cfg, printSink{})
	srv := httptest.NewServer(rc)
	defer srv.Close()
	body := webhooktest.GitHubPush(webhooktest.Push{Ref: "refs/heads/main", After: strings.Repeat("ab", 20), Repository: "me/blog"})
	req, _ := webhooktest.NewRequest(context.Background(), srv.URL+"/hooks/blog",
		webdeploy.VerifierConfig{Provider: webdeploy.GitHub, Secret: []byte("s3cr3t")}, "push", body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	// Output:
	// deploy blog: main at abababababab
	// 202 Accepted
}
