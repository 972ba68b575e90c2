package webhooktest_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/hostkit-dev/hostkit/webdeploy"
	"github.com/hostkit-dev/hostkit/webdeploy/webhooktest"
)

// Signing a delivery as Gitea would, and checking it as a receiver does.
func ExampleSign() {
	vc := webdeploy.VerifierConfig{Provider: webdeploy.Gitea, Secret: []byte("s3cr3t")}
	body := webhooktest.GitHubPush(webhooktest.Push{Ref: "refs/heads/main", After: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", Repository: "me/site"})
	h := http.Header{}
	h.Set("X-Gitea-Delivery", "1")
	if err := webhooktest.Sign(h, vc, "push", body, time.Now()); err != nil {
		panic(err)
	}
	fmt.Println(h.Get("X-Gitea-Event"), len(h.Get("X-Gitea-Signature")))
	v, _ := webdeploy.NewVerifier(vc)
	fmt.Println(v.Verify(h, body, time.Now()))
	// Output:
	// push 64
	// <nil>
}

func ExampleGitLabPush() {
	body := webhooktest.GitLabPush(webhooktest.Push{Ref: "refs/tags/v1.0", After: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", Repository: "me/site", PadTo: 7500})
	ev, err := webdeploy.ParsePush(webdeploy.GitLab, body)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(body) >= 7500, ev.Event, ev.Tag(), ev.Repository)
	// Output:
	// true tag_push v1.0 me/site
}
