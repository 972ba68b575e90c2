package webdeploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"strings"
	"time"
)

// Event kinds a PushEvent can have.
const (
	EventPush    = "push"     // commits pushed to a branch (or any non-tag ref)
	EventTagPush = "tag_push" // a tag created, moved or deleted
	EventPing    = "ping"     // the forge checks the hook works
)

// ZeroCommit is the all-zero object name forges send for a ref that did
// not exist before (before) or no longer exists (after).
const ZeroCommit = "0000000000000000000000000000000000000000"

// PushEvent is a provider-neutral push, parsed from any supported forge's
// payload.
type PushEvent struct {
	Provider Provider `json:"provider"`
	Event    string   `json:"event"` // EventPush or EventTagPush
	Ref      string   `json:"ref"`   // full ref, e.g. refs/heads/main (validated, see ValidateRef)
	Before   string   `json:"before"`
	After    string   `json:"after"` // the commit to deploy (lower-case hex)
	Created  bool     `json:"created"`
	Deleted  bool     `json:"deleted"`
	Forced   bool     `json:"forced"`
	// Repository is the forge's full name, e.g. "owner/site".
	Repository string `json:"repository"`
	// CloneURL and SSHURL are informational: webdeploy fetches from the
	// URL in its own configuration, never from the payload.
	CloneURL   string  `json:"clone_url,omitempty"`
	SSHURL     string  `json:"ssh_url,omitempty"`
	Pusher     string  `json:"pusher,omitempty"`
	HeadCommit *Commit `json:"head_commit,omitempty"`
}

// Commit is the head commit of a push as the forge described it.
type Commit struct {
	ID        string    `json:"id"`
	Message   string    `json:"message,omitempty"`
	Author    string    `json:"author,omitempty"`
	Timestamp time.Time `json:"timestamp,omitzero"`
	URL       string    `json:"url,omitempty"`
}

// Branch returns the branch name for refs/heads/ refs, else "".
func (e *PushEvent) Branch() string {
	b, _ := strings.CutPrefix(e.Ref, "refs/heads/")
	if b == e.Ref {
		return ""
	}
	return b
}

// Tag returns the tag name for refs/tags/ refs, else "".
func (e *PushEvent) Tag() string {
	t, _ := strings.CutPrefix(e.Ref, "refs/tags/")
	if t == e.Ref {
		return ""
	}
	return t
}

// ShortCommit returns the first 12 hex digits of After.
func (e *PushEvent) ShortCommit() string {
	if len(e.After) > 12 {
		return e.After[:12]
	}
	return e.After
}

// wire is the union of the fields webdeploy reads from GitHub, Gitea,
// Forgejo, Gogs and GitLab push payloads.
type wire struct {
	Ref        *string `json:"ref"`
	Before     string  `json:"before"`
	After      *string `json:"after"`
	Created    *bool   `json:"created"`
	Deleted    *bool   `json:"deleted"`
	Forced     *bool   `json:"forced"`
	Repository *struct {
		FullName string `json:"full_name"`
		CloneURL string `json:"clone_url"`
		SSHURL   string `json:"ssh_url"`
		// GitLab's repository object
		GitHTTPURL string `json:"git_http_url"`
		GitSSHURL  string `json:"git_ssh_url"`
	} `json:"repository"`
	Pusher *struct {
		Name     string `json:"name"`
		Login    string `json:"login"`
		Username string `json:"username"`
	} `json:"pusher"`
	HeadCommit *wireCommit `json:"head_commit"`

	// GitLab
	ObjectKind   string       `json:"object_kind"`
	CheckoutSHA  *string      `json:"checkout_sha"`
	UserUsername string       `json:"user_username"`
	UserName     string       `json:"user_name"`
	Project      *wireProject `json:"project"`
}

// wireGitLab adds the commit list, which only GitLab payloads need (their
// head commit is found in it); GitHub-layout parsing skips it.
type wireGitLab struct {
	wire
	Commits []wireCommit `json:"commits"`
}

type wireProject struct {
	PathWithNamespace string `json:"path_with_namespace"`
	GitHTTPURL        string `json:"git_http_url"`
	GitSSHURL         string `json:"git_ssh_url"`
}

type wireCommit struct {
	ID        string `json:"id"`
	Message   string `json:"message"`
	Timestamp string `json:"timestamp"`
	URL       string `json:"url"`
	Author    struct {
		Name     string `json:"name"`
		Username string `json:"username"`
	} `json:"author"`
}

func (c *wireCommit) commit() *Commit {
	out := &Commit{ID: strings.ToLower(c.ID), Message: c.Message, URL: c.URL, Author: c.Author.Name}
	if t, err := time.Parse(time.RFC3339, c.Timestamp); err == nil {
		out.Timestamp = t
	}
	return out
}

// PayloadJSON returns the JSON document of a delivery body: the body
// itself for JSON, or the "payload" field of a form-encoded body (GitHub's
// application/x-www-form-urlencoded content type).
func PayloadJSON(contentType string, body []byte) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if contentType == "" {
		mt, err = "application/json", nil
	}
	if err != nil {
		return nil, &PayloadError{Offset: -1, Msg: fmt.Sprintf("unreadable Content-Type %q", contentType)}
	}
	switch {
	case mt == "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, &PayloadError{Offset: -1, Msg: "form body: " + err.Error()}
		}
		p, ok := vals["payload"]
		if !ok || len(p) != 1 {
			return nil, &PayloadError{Field: "payload", Offset: -1, Msg: "a form-encoded delivery needs exactly one payload field"}
		}
		return []byte(p[0]), nil
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || mt == "text/plain":
		return body, nil
	}
	return nil, &PayloadError{Offset: -1, Msg: fmt.Sprintf("Content-Type %q is neither JSON nor form-encoded", mt)}
}

// ParsePush parses a push payload in the given provider's format (GitHub,
// Gitea, Forgejo and Gogs share one layout, GitLab has its own) and
// validates what a deploy relies on: the ref (ValidateRef), the commit
// (hexadecimal object name) and the repository name. Errors are
// *PayloadError values naming the field or byte offset.
func ParsePush(p Provider, payload []byte) (*PushEvent, error) {
	var gl wireGitLab
	slim, err := slimPayload(payload, p == GitLab)
	if err != nil {
		// Let encoding/json describe the syntax error and its offset.
		var v any
		if jerr := json.Unmarshal(payload, &v); jerr != nil {
			return nil, jsonError(jerr)
		}
		return nil, &PayloadError{Offset: -1, Msg: "malformed JSON"}
	}
	var top any
	if len(slim) == 2 && json.Unmarshal(payload, &top) == nil {
		if _, isObj := top.(map[string]any); !isObj {
			return nil, &PayloadError{Offset: -1, Msg: "the payload is not a JSON object"}
		}
	}
	if p == GitLab {
		err = json.Unmarshal(slim, &gl)
	} else {
		err = json.Unmarshal(slim, &gl.wire)
	}
	if err != nil {
		return nil, jsonError(err)
	}
	w := &gl.wire
	ev := &PushEvent{Provider: p}
	if w.Ref == nil {
		return nil, &PayloadError{Field: "ref", Offset: -1, Msg: "missing (is this a push event?)"}
	}
	if err := ValidateRef(*w.Ref); err != nil {
		return nil, err
	}
	ev.Ref = *w.Ref
	ev.Event = EventPush
	if ev.Tag() != "" {
		ev.Event = EventTagPush
	}
	if w.After == nil {
		return nil, &PayloadError{Field: "after", Offset: -1, Msg: "missing"}
	}
	after, err := objectName("after", *w.After)
	if err != nil {
		return nil, err
	}
	ev.After = after
	if w.Before != "" {
		if ev.Before, err = objectName("before", w.Before); err != nil {
			return nil, err
		}
	}
	ev.Deleted = isZero(ev.After)
	ev.Created = ev.Before != "" && isZero(ev.Before)
	if w.Deleted != nil {
		ev.Deleted = *w.Deleted || ev.Deleted
	}
	if w.Created != nil {
		ev.Created = *w.Created
	}
	if w.Forced != nil {
		ev.Forced = *w.Forced
	}
	if w.Repository != nil {
		ev.CloneURL, ev.SSHURL = w.Repository.CloneURL, w.Repository.SSHURL
	}
	if w.Pusher != nil {
		ev.Pusher = firstNonEmpty(w.Pusher.Username, w.Pusher.Login, w.Pusher.Name)
	}
	if w.HeadCommit != nil {
		ev.HeadCommit = w.HeadCommit.commit()
	}
	switch p {
	case GitLab:
		if w.ObjectKind != "" && w.ObjectKind != "push" && w.ObjectKind != "tag_push" {
			return nil, &PayloadError{Field: "object_kind", Offset: -1, Msg: fmt.Sprintf("%q is not a push", w.ObjectKind)}
		}
		if w.Project == nil || w.Project.PathWithNamespace == "" {
			return nil, &PayloadError{Field: "project.path_with_namespace", Offset: -1, Msg: "missing"}
		}
		ev.Repository = w.Project.PathWithNamespace
		ev.CloneURL, ev.SSHURL = w.Project.GitHTTPURL, w.Project.GitSSHURL
		ev.Pusher = firstNonEmpty(w.UserUsername, w.UserName)
		for i := range gl.Commits {
			if strings.EqualFold(gl.Commits[i].ID, ev.After) {
				ev.HeadCommit = gl.Commits[i].commit()
			}
		}
	default:
		if w.Repository == nil || w.Repository.FullName == "" {
			return nil, &PayloadError{Field: "repository.full_name", Offset: -1, Msg: "missing"}
		}
		ev.Repository = w.Repository.FullName
	}
	if err := validateName("repository", ev.Repository); err != nil {
		return nil, err
	}
	return ev, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func isZero(h string) bool { return strings.Trim(h, "0") == "" }

func jsonError(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return &PayloadError{Offset: se.Offset, Msg: "malformed JSON: " + se.Error()}
	case errors.As(err, &te):
		return &PayloadError{Field: te.Field, Offset: -1, Msg: fmt.Sprintf("expected %v, found JSON %s", te.Type, te.Value)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &PayloadError{Offset: -1, Msg: "truncated JSON document"}
	}
	return &PayloadError{Offset: -1, Msg: "malformed JSON: " + err.Error()}
}

// objectName checks a git object name: 40 (SHA-1) or 64 (SHA-256)
// hexadecimal digits. It returns it in lower case.
func objectName(field, s string) (string, error) {
	if len(s) != 40 && len(s) != 64 {
		return "", &PayloadError{Field: field, Offset: -1, Msg: fmt.Sprintf("a commit id has 40 or 64 hex digits, got %d characters", len(s))}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return "", &PayloadError{Field: field, Offset: -1, Msg: fmt.Sprintf("non-hex character at position %d", i)}
		}
	}
	return strings.ToLower(s), nil
}

// validateName accepts printable names without control characters.
func validateName(field, s string) error {
	if len(s) > 512 {
		return &PayloadError{Field: field, Offset: -1, Msg: "longer than 512 bytes"}
	}
	for i, r := range s {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return &PayloadError{Field: field, Offset: -1, Msg: fmt.Sprintf("control or invalid character at byte %d", i)}
		}
	}
	return nil
}

// ValidateRef checks a ref name from a payload. It applies git's
// check-ref-format rules and, because the ref is handed to builds in
// DEPLOY_REF, also limits it to letters, digits and - . _ / + @ = , so
// that no ref can carry shell syntax. The error is a *PayloadError for
// the field "ref" naming the offending character and its byte offset.
func ValidateRef(ref string) error {
	bad := func(format string, a ...any) error {
		return &PayloadError{Field: "ref", Offset: -1, Msg: fmt.Sprintf(format, a...)}
	}
	if !strings.HasPrefix(ref, "refs/") {
		return bad("%q does not start with refs/", truncate(ref))
	}
	if len(ref) > 255 {
		return bad("longer than 255 bytes")
	}
	for i := 0; i < len(ref); i++ {
		c := ref[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._/+@=,", c) >= 0
		if !ok {
			return bad("character %q at byte %d is not allowed in a ref (allowed: letters, digits and - . _ / + @ = ,)", rune(c), i)
		}
	}
	if strings.Contains(ref, "..") || strings.Contains(ref, "@{") || strings.Contains(ref, "//") {
		return bad("contains .., // or @{")
	}
	if strings.HasSuffix(ref, "/") || strings.HasSuffix(ref, ".") {
		return bad("ends with / or .")
	}
	for _, comp := range strings.Split(ref, "/") {
		if strings.HasPrefix(comp, ".") || strings.HasSuffix(comp, ".lock") {
			return bad("a component starts with . or ends with .lock")
		}
	}
	if ref == "refs/" || strings.Count(ref, "/") < 2 {
		return bad("%q names no branch or tag", ref)
	}
	return nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
