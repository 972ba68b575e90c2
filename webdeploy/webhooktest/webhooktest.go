package webhooktest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hostkit-dev/hostkit/webdeploy"
)

// Push describes a push to put in a payload.
type Push struct {
	Ref        string // full ref, e.g. refs/heads/main
	Before     string // default: the zero commit
	After      string // the pushed commit
	Repository string // full name, "owner/name"
	CloneURL   string
	Pusher     string
	Message    string // head commit message
	// PadTo grows the payload with extra commit entries until it is at
	// least this many bytes (forges send every pushed commit; real pushes
	// are a few KB).
	PadTo int
}

func (p Push) defaults() Push {
	if p.Before == "" {
		p.Before = webdeploy.ZeroCommit
	}
	if p.Repository == "" {
		p.Repository = "example/site"
	}
	if p.CloneURL == "" {
		p.CloneURL = "https://git.example.com/" + p.Repository + ".git"
	}
	if p.Pusher == "" {
		p.Pusher = "example"
	}
	if p.Message == "" {
		p.Message = "Update the site"
	}
	return p
}

type commit struct {
	ID        string            `json:"id"`
	Message   string            `json:"message"`
	Timestamp string            `json:"timestamp"`
	URL       string            `json:"url"`
	Author    map[string]string `json:"author"`
	Added     []string          `json:"added"`
	Removed   []string          `json:"removed"`
	Modified  []string          `json:"modified"`
}

func (p Push) commits() []commit {
	c := commit{ID: p.After, Message: p.Message, Timestamp: "2026-01-02T03:04:05Z",
		URL:    "https://git.example.com/" + p.Repository + "/commit/" + p.After,
		Author: map[string]string{"name": p.Pusher, "email": p.Pusher + "@example.com", "username": p.Pusher},
		Added:  []string{}, Removed: []string{}, Modified: []string{"index.html"}}
	return []commit{c}
}

func pad(p Push, build func([]commit) []byte) []byte {
	cs := p.commits()
	out := build(cs)
	for len(out) < p.PadTo {
		c := cs[0]
		c.Message = fmt.Sprintf("Earlier change %d: %s", len(cs), strings.Repeat("lorem ipsum ", 8))
		c.Modified = []string{fmt.Sprintf("posts/%04d.html", len(cs)), "feed.xml"}
		cs = append([]commit{c}, cs...)
		out = build(cs)
	}
	return out
}

// GitHubPush returns a push payload in GitHub's layout (which Gitea,
// Forgejo and Gogs share).
func GitHubPush(p Push) []byte {
	p = p.defaults()
	deleted := strings.Trim(p.After, "0") == ""
	return pad(p, func(cs []commit) []byte {
		m := map[string]any{
			"ref": p.Ref, "before": p.Before, "after": p.After,
			"created": strings.Trim(p.Before, "0") == "", "deleted": deleted, "forced": false,
			"base_ref": nil, "compare": "https://git.example.com/" + p.Repository + "/compare",
			"commits": cs, "head_commit": cs[len(cs)-1],
			"repository": map[string]any{"name": p.Repository[strings.LastIndex(p.Repository, "/")+1:], "full_name": p.Repository,
				"clone_url": p.CloneURL, "ssh_url": "git@git.example.com:" + p.Repository + ".git", "default_branch": "main"},
			"pusher": map[string]string{"name": p.Pusher, "email": p.Pusher + "@example.com"},
			"sender": map[string]string{"login": p.Pusher},
		}
		if deleted {
			m["head_commit"] = nil
			m["commits"] = []commit{}
		}
		b, _ := json.Marshal(m)
		return b
	})
}

// GitLabPush returns a push payload in GitLab's layout.
func GitLabPush(p Push) []byte {
	p = p.defaults()
	kind := "push"
	if strings.HasPrefix(p.Ref, "refs/tags/") {
		kind = "tag_push"
	}
	return pad(p, func(cs []commit) []byte {
		m := map[string]any{
			"object_kind": kind, "event_name": kind, "ref": p.Ref, "before": p.Before, "after": p.After,
			"checkout_sha": p.After, "user_name": p.Pusher, "user_username": p.Pusher, "project_id": 1,
			"project": map[string]any{"path_with_namespace": p.Repository, "git_http_url": p.CloneURL,
				"git_ssh_url": "git@git.example.com:" + p.Repository + ".git", "default_branch": "main"},
			"commits": cs, "total_commits_count": len(cs),
		}
		b, _ := json.Marshal(m)
		return b
	})
}

// NewDeliveryID returns a random GUID-like delivery id.
func NewDeliveryID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Sign sets on h every header the provider's forge would send with body:
// the event (event is "push" or "ping"), a delivery id (kept if h already
// has one) and the signature for vc's secret.
func Sign(h http.Header, vc webdeploy.VerifierConfig, event string, body []byte, now time.Time) error {
	vc.AllowUnsigned = true // signing with no secret just sends none
	v, err := webdeploy.NewVerifier(vc)
	if err != nil {
		return err
	}
	set := func(name, val string) {
		if h.Get(name) == "" {
			h.Set(name, val)
		}
	}
	id := firstNonEmpty(h.Get("X-GitHub-Delivery"), h.Get("X-Gitlab-Event-UUID"), h.Get("X-Gitea-Delivery"),
		h.Get("X-Forgejo-Delivery"), h.Get("X-Gogs-Delivery"), h.Get("Webhook-Id"), h.Get("X-Request-Id"))
	if id == "" {
		id = NewDeliveryID()
	}
	switch vc.Provider {
	case webdeploy.GitHub:
		set("X-GitHub-Event", event)
		set("X-GitHub-Delivery", id)
		set("User-Agent", "GitHub-Hookshot/webhooktest")
	case webdeploy.GitLab:
		ev := "Push Hook"
		if bytes.Contains(body, []byte(`"object_kind":"tag_push"`)) {
			ev = "Tag Push Hook"
		}
		set("X-Gitlab-Event", ev)
		set("X-Gitlab-Event-UUID", id)
	case webdeploy.Gitea:
		set("X-Gitea-Event", event)
		set("X-Gitea-Delivery", id)
	case webdeploy.Forgejo:
		set("X-Forgejo-Event", event)
		set("X-Gitea-Event", event)
		set("X-Forgejo-Delivery", id)
	case webdeploy.Gogs:
		set("X-Gogs-Event", event)
		set("X-Gogs-Delivery", id)
	case webdeploy.GenericHMAC:
		set("X-GitHub-Event", event)
		set("X-Request-Id", id)
	}
	set("Content-Type", "application/json")
	v.Sign(h, body, id, now)
	return nil
}

// NewRequest returns a signed POST of body to url, as vc's provider
// would send it.
func NewRequest(ctx context.Context, url string, vc webdeploy.VerifierConfig, event string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if err := Sign(req.Header, vc, event, body, time.Now()); err != nil {
		return nil, err
	}
	return req, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
