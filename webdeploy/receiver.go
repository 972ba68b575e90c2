package webdeploy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultPrefix is the URL path under which hooks are served: a hook with
// id "site" answers at /hooks/site.
const DefaultPrefix = "/hooks/"

// Sink takes accepted pushes; *Deployer is one. Enqueue must not block on
// the deploy itself: the receiver answers the forge right after it.
type Sink interface {
	Enqueue(site string, ev *PushEvent, delivery string) error
}

// Receiver is the http.Handler forges deliver webhooks to. It verifies
// each delivery's signature in constant time before reading anything from
// the payload, enforces the body limit while reading, answers pings,
// acknowledges redeliveries without a second deploy, matches the push
// against the sites' rules and hands it to the Sink, answering 202 at once.
//
// Failures answer 404 (no such hook), 405 (not POST), 413 (body over the
// limit), 401 (signature missing or wrong), 400 (not a push payload) and
// 503 (shutting down, or MaxInFlightBytes of bodies already being read),
// each with a JSON body saying what was wrong. No
// answer ever contains a secret or an expected signature.
type Receiver struct {
	// Prefix is the path prefix (default DefaultPrefix).
	Prefix string
	// Logger receives one line per refused or accepted delivery (default:
	// none).
	Logger *slog.Logger
	// Now is the clock for Standard Webhooks timestamps (default time.Now).
	Now func() time.Time
	// MaxInFlightBytes caps the delivery bodies held in memory at once,
	// across all requests. A body must be read whole before its signature
	// can be checked, so without a cap a client with no secret could make
	// the receiver hold the body limit times the open connections. A
	// delivery that would go over it is answered 503 with Retry-After.
	// Default: DefaultInFlightBodies or twice the body limit, whichever is
	// larger; it is never below the body limit.
	MaxInFlightBytes int64

	hooks    map[string]*hook
	sites    []*SiteConfig
	sink     Sink
	maxBody  int64
	bufs     sync.Pool
	inflight atomic.Int64
}

// DefaultInFlightBodies is the least default Receiver.MaxInFlightBytes.
const DefaultInFlightBodies = 8 << 20

type hook struct {
	cfg   *HookConfig
	v     *Verifier
	seen  *deliverySet
	sites map[string]bool // nil: all
}

// NewReceiver builds the handler for cfg's hooks. It fails (ErrNoSecret)
// if a hook has no secret and does not allow unsigned deliveries, and
// (ErrConfig) if cfg or sink is nil.
func NewReceiver(cfg *Config, sink Sink) (*Receiver, error) {
	if cfg == nil || sink == nil {
		// A nil sink would only fail (panic) at the first accepted push.
		return nil, fmt.Errorf("%w: NewReceiver needs a configuration and a sink", ErrConfig)
	}
	rc := &Receiver{Prefix: DefaultPrefix, hooks: map[string]*hook{}, sink: sink, maxBody: cfg.MaxBodyBytes}
	if rc.maxBody <= 0 {
		rc.maxBody = DefaultMaxBody
	}
	for i := range cfg.Sites {
		rc.sites = append(rc.sites, &cfg.Sites[i])
	}
	for i := range cfg.Hooks {
		hc := &cfg.Hooks[i]
		v, err := NewVerifier(hc.VerifierConfig())
		if err != nil {
			return nil, fmt.Errorf("hook %q: %w", hc.ID, err)
		}
		h := &hook{cfg: hc, v: v, seen: newDeliverySet(cfg.DedupSize)}
		if len(hc.Sites) > 0 {
			h.sites = map[string]bool{}
			for _, s := range hc.Sites {
				h.sites[s] = true
			}
		}
		rc.hooks[hc.ID] = h
	}
	return rc, nil
}

// Answer is the JSON body of every receiver response.
type Answer struct {
	Status   string   `json:"status"` // accepted, pong, duplicate, ignored, error
	Error    string   `json:"error,omitempty"`
	Delivery string   `json:"delivery,omitempty"`
	Sites    []string `json:"sites,omitempty"`
	Commit   string   `json:"commit,omitempty"`
	Ref      string   `json:"ref,omitempty"`
}

func (rc *Receiver) answer(w http.ResponseWriter, code int, a Answer) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	b, _ := json.Marshal(a)
	w.Write(append(b, '\n'))
}

func (rc *Receiver) refuse(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if rc.Logger != nil {
		rc.Logger.Info("delivery refused", "path", r.URL.Path, "remote", r.RemoteAddr, "code", code, "error", msg)
	}
	rc.answer(w, code, Answer{Status: "error", Error: msg})
}

// ServeHTTP verifies one delivery, answers it at once (202 when accepted,
// 4xx with a helpful body otherwise) and hands accepted pushes to the deployer.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prefix := rc.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	id, ok := strings.CutPrefix(r.URL.Path, prefix)
	h := rc.hooks[id]
	if !ok || h == nil {
		rc.refuse(w, r, http.StatusNotFound, fmt.Sprintf("no hook at %s: hooks are served at %s<id> for the ids in the configuration", truncate(r.URL.Path), prefix))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		rc.refuse(w, r, http.StatusMethodNotAllowed, fmt.Sprintf("method %s: webhooks are delivered with POST", truncate(r.Method)))
		return
	}
	if r.ContentLength > rc.maxBody {
		rc.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body of %d bytes is over this hook's limit of %d bytes", r.ContentLength, rc.maxBody))
		return
	}
	bp := rc.getBuf()
	var held int64
	defer func() {
		if cap(*bp) <= 1<<20 { // do not pin huge bodies in the pool
			rc.bufs.Put(bp)
		}
		rc.inflight.Add(-held)
	}()
	body, err := rc.readBody(w, r, bp, &held)
	if err != nil {
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			rc.refuse(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("body is over this hook's limit of %d bytes", rc.maxBody))
		case errors.Is(err, errInFlight):
			w.Header().Set("Retry-After", "5")
			rc.refuse(w, r, http.StatusServiceUnavailable, "too many delivery bodies being received at once; retry later")
		default:
			rc.refuse(w, r, http.StatusBadRequest, "could not read the body: "+err.Error())
		}
		return
	}
	now := time.Now()
	if rc.Now != nil {
		now = rc.Now()
	}
	if err := h.v.Verify(r.Header, body, now); err != nil {
		rc.refuse(w, r, http.StatusUnauthorized, err.Error())
		return
	}
	event := eventKind(h, r.Header)
	delivery := deliveryID(h.cfg.Provider, r.Header, body)
	switch event {
	case EventPing:
		rc.answer(w, http.StatusOK, Answer{Status: "pong", Delivery: delivery})
		return
	case EventPush:
	default:
		rc.answer(w, http.StatusOK, Answer{Status: "ignored", Delivery: delivery, Error: fmt.Sprintf("event %q does not deploy; only pushes do", truncate(event))})
		return
	}
	payload, err := PayloadJSON(r.Header.Get("Content-Type"), body)
	if err != nil {
		rc.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	ev, err := ParsePush(h.cfg.Payload, payload)
	if err != nil {
		rc.refuse(w, r, http.StatusBadRequest, err.Error())
		return
	}
	ev.Provider = h.cfg.Provider
	if !h.seen.add(delivery) {
		rc.answer(w, http.StatusOK, Answer{Status: "duplicate", Delivery: delivery, Error: "this delivery id was already received; not deploying twice"})
		return
	}
	var sites []string
	for _, s := range rc.sites {
		if h.sites != nil && !h.sites[s.Name] {
			continue
		}
		for i := range s.Rules {
			if s.Rules[i].Match(ev) {
				sites = append(sites, s.Name)
				break
			}
		}
	}
	if len(sites) == 0 {
		rc.answer(w, http.StatusOK, Answer{Status: "ignored", Delivery: delivery, Ref: ev.Ref, Commit: ev.After,
			Error: fmt.Sprintf("no site's rules match %s of %s", ev.Ref, truncate(ev.Repository))})
		return
	}
	for i, s := range sites {
		// A site this delivery was already queued for by an earlier,
		// partly failed attempt is not queued twice.
		if h.seen.has(siteKey(delivery, s)) {
			continue
		}
		if err := rc.sink.Enqueue(s, ev, delivery); err != nil {
			// Let the forge's retry through, for the sites not queued yet.
			for _, done := range sites[:i] {
				h.seen.add(siteKey(delivery, done))
			}
			h.seen.forget(delivery)
			rc.refuse(w, r, http.StatusServiceUnavailable, fmt.Sprintf("site %s: %v; retry later", s, err))
			return
		}
	}
	if rc.Logger != nil {
		rc.Logger.Debug("delivery accepted", "hook", h.cfg.ID, "delivery", delivery, "ref", ev.Ref, "commit", ev.After, "sites", sites)
	}
	rc.answer(w, http.StatusAccepted, Answer{Status: "accepted", Delivery: delivery, Sites: sites, Commit: ev.After, Ref: ev.Ref})
}

// siteKey names a (delivery, site) pair in a hook's delivery set; NUL
// cannot occur in a delivery id.
func siteKey(delivery, site string) string { return delivery + "\x00" + site }

func (rc *Receiver) getBuf() *[]byte {
	if b, ok := rc.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, min(16<<10, rc.maxBody+1))
	return &b
}

// errInFlight: reading the body would go over MaxInFlightBytes.
var errInFlight = errors.New("in-flight body budget exhausted")

// readBody reads r's body (at most the body limit) into *bp, growing it
// only after reserving the growth against MaxInFlightBytes; *held counts
// the bytes reserved, which the caller releases when done with the body.
func (rc *Receiver) readBody(w http.ResponseWriter, r *http.Request, bp *[]byte, held *int64) ([]byte, error) {
	budget := rc.MaxInFlightBytes
	if budget <= 0 {
		budget = max(DefaultInFlightBodies, 2*rc.maxBody)
	}
	budget = max(budget, rc.maxBody+1) // one delivery of any allowed size always fits alone
	reserve := func(n int64) bool {
		if rc.inflight.Add(n) > budget {
			rc.inflight.Add(-n)
			return false
		}
		*held += n
		return true
	}
	b := (*bp)[:0]
	if !reserve(int64(cap(b))) {
		return nil, errInFlight
	}
	body := http.MaxBytesReader(w, r.Body, rc.maxBody)
	for {
		if len(b) == cap(b) {
			n := min(max(2*cap(b), 16<<10), int(rc.maxBody)+1)
			if !reserve(int64(n - cap(b))) {
				return nil, errInFlight
			}
			nb := make([]byte, len(b), n)
			copy(nb, b)
			b = nb
			*bp = b
		}
		m, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// eventKind maps the provider's event header to EventPush, EventPing or
// the header's own value for anything else.
func eventKind(h *hook, hd http.Header) string {
	var v string
	switch h.cfg.Provider {
	case GitHub:
		v = hd.Get("X-GitHub-Event")
	case GitLab:
		v = hd.Get("X-Gitlab-Event")
	case Gitea, Forgejo, Gogs:
		v = firstNonEmpty(hd.Get("X-Forgejo-Event"), hd.Get("X-Gitea-Event"), hd.Get("X-Gogs-Event"))
	default:
		v = firstNonEmpty(hd.Get("X-GitHub-Event"), hd.Get("X-Gitlab-Event"), hd.Get("X-Gitea-Event"))
		if v == "" {
			return EventPush // the hook exists to deploy; the payload is checked anyway
		}
	}
	switch v {
	case "push", "Push Hook", "Tag Push Hook", "System Hook":
		return EventPush
	case "ping":
		return EventPing
	case "":
		return "(no event header)"
	}
	return v
}

// deliveryID is the provider's delivery id, or a hash of the body when
// the sender gives none (so an identical redelivery is still recognised).
func deliveryID(p Provider, hd http.Header, body []byte) string {
	var id string
	switch p {
	case GitHub:
		id = hd.Get("X-GitHub-Delivery")
	case GitLab:
		id = firstNonEmpty(hd.Get("X-Gitlab-Event-UUID"), hd.Get("Idempotency-Key"))
	case Gitea, Forgejo, Gogs:
		id = firstNonEmpty(hd.Get("X-Forgejo-Delivery"), hd.Get("X-Gitea-Delivery"), hd.Get("X-Gogs-Delivery"))
	case StandardWebhooks:
		id = hd.Get("Webhook-Id")
	default:
		id = firstNonEmpty(hd.Get("X-GitHub-Delivery"), hd.Get("X-Request-Id"))
	}
	if id != "" && len(id) <= 128 && validateName("delivery", id) == nil {
		return id
	}
	sum := sha256.Sum256(body)
	return "sha256-" + hex.EncodeToString(sum[:12])
}

// StatusHandler serves the deployer's status as JSON: all sites, or one
// with ?site=NAME.
func (d *Deployer) StatusHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			w.WriteHeader(http.StatusMethodNotAllowed)
			io.WriteString(w, `{"status":"error","error":"use GET"}`+"\n")
			return
		}
		var out any
		if s := r.URL.Query().Get("site"); s != "" {
			st, err := d.Status(s)
			if err != nil {
				w.WriteHeader(http.StatusNotFound)
				json.NewEncoder(w).Encode(Answer{Status: "error", Error: err.Error()})
				return
			}
			out = st
		} else {
			var all []SiteStatus
			for _, n := range d.Sites() {
				st, _ := d.Status(n)
				all = append(all, st)
			}
			out = all
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(out)
	})
}
