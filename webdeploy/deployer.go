package webdeploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// Deploy outcomes in Record.Status.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusTimedOut  = "timed_out"
	StatusCanceled  = "canceled"
	StatusSkipped   = "skipped" // a deletion: nothing to build
	// StatusRefused: the commit is an ancestor of the live commit and the
	// push was not forced (see SiteConfig.AllowRewind).
	StatusRefused = "refused"
)

const (
	historyKeep     = 100 // records kept in memory and in status.json
	maxDeliveryIDs  = 20  // delivery ids listed per record (the count is exact)
	maxLogBytes     = 16 << 20
	statusFile      = "status.json"
	historyFile     = "history.jsonl"
	historyFileKeep = 8 << 20 // history.jsonl is rotated to .1 beyond this
)

// Record is one deploy (or a skipped delivery) in a site's history.
type Record struct {
	ID     uint64 `json:"id"`
	Commit string `json:"commit"`
	Ref    string `json:"ref"`
	// Before is the commit the ref pointed at before the push, as the
	// forge reported it ("" when it did not say).
	Before string `json:"before,omitempty"`
	// Forced is set when the push that asked for this deploy was a
	// forced update of the ref (the forge's "forced" flag).
	Forced bool `json:"forced,omitempty"`
	// Deliveries is how many accepted deliveries this deploy answers: the
	// newest one plus every one it coalesced.
	Deliveries  int       `json:"deliveries"`
	Coalesced   int       `json:"coalesced"`
	DeliveryIDs []string  `json:"delivery_ids,omitempty"`
	Queued      time.Time `json:"queued"`
	Started     time.Time `json:"started,omitzero"`
	Duration    Duration  `json:"duration,omitempty"`
	Status      string    `json:"status"`
	ExitCode    int       `json:"exit_code"`
	Error       string    `json:"error,omitempty"`
	Release     string    `json:"release,omitempty"`
	Log         string    `json:"log,omitempty"`
}

// Counters account for every delivery a site accepted, each exactly once:
// Accepted equals Deployed + Failed + Coalesced + Skipped + Dropped, plus
// one for a running deploy and one for a queued one. A deploy's record
// lists the deliveries it answers (its own and those it coalesced).
type Counters struct {
	Accepted  uint64 `json:"accepted"`
	Deployed  uint64 `json:"deployed"`  // deploys that went live (one delivery each)
	Failed    uint64 `json:"failed"`    // deploys that failed, timed out or were canceled
	Coalesced uint64 `json:"coalesced"` // deliveries superseded by a newer one before their build started
	Skipped   uint64 `json:"skipped"`   // deletions, and rewinds refused (StatusRefused)
	Dropped   uint64 `json:"dropped"`   // queued when the deployer shut down
	Builds    uint64 `json:"builds"`    // deploys started
}

// SiteStatus is a site's state, as served by the status API and written
// to <state>/sites/<name>/status.json.
type SiteStatus struct {
	Site       string    `json:"site"`
	Live       string    `json:"live,omitempty"` // live release name
	LiveCommit string    `json:"live_commit,omitempty"`
	Running    *Record   `json:"running,omitempty"`
	Queued     *Record   `json:"queued,omitempty"`
	Counters   Counters  `json:"counters"`
	History    []Record  `json:"history"`
	Releases   []Release `json:"releases,omitempty"`
	Updated    time.Time `json:"updated"`
}

// Deployer runs each site's deploys one at a time, coalescing pushes that
// arrive while a deploy runs into one next deploy of the newest commit.
type Deployer struct {
	stateDir string
	sites    map[string]*siteQueue
	runCtx   context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu     sync.Mutex
	closed bool
}

type siteQueue struct {
	cfg  *SiteConfig
	pub  *Publisher
	src  *Source
	dir  string // <state>/sites/<name>
	wake chan struct{}

	mu         sync.Mutex
	seq        uint64
	pending    *Record
	running    *Record
	counters   Counters
	history    []Record
	liveCommit string
}

// NewDeployer starts one worker per configured site. Stop it with
// Shutdown.
func NewDeployer(cfg *Config) (*Deployer, error) {
	ctx, cancel := context.WithCancel(context.Background())
	d := &Deployer{stateDir: cfg.StateDir, sites: map[string]*siteQueue{}, runCtx: ctx, cancel: cancel}
	for i := range cfg.Sites {
		sc := &cfg.Sites[i]
		dir := filepath.Join(cfg.StateDir, "sites", sc.Name)
		if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o750); err != nil {
			cancel()
			return nil, err
		}
		q := &siteQueue{
			cfg: sc, pub: NewPublisher(sc.Webroot, sc.Keep), dir: dir, wake: make(chan struct{}, 1),
			src: &Source{URL: sc.Repository, Dir: filepath.Join(dir, "clone"), SSHKey: sc.SSHKey, TokenFile: sc.TokenFile, TokenUser: sc.TokenUser},
		}
		q.load()
		d.sites[sc.Name] = q
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			q.work(ctx)
		}()
	}
	return d, nil
}

// load restores counters, history and the live commit from status.json.
func (q *siteQueue) load() {
	b, err := os.ReadFile(filepath.Join(q.dir, statusFile))
	if err != nil {
		return
	}
	var st SiteStatus
	if json.Unmarshal(b, &st) != nil {
		return
	}
	q.counters, q.history, q.liveCommit = st.Counters, st.History, st.LiveCommit
	for _, r := range q.history {
		q.seq = max(q.seq, r.ID)
	}
	if st.Running != nil { // interrupted by a crash: account for it
		r := *st.Running
		r.Status, r.Error = StatusCanceled, "interrupted (the deployer stopped during this deploy)"
		q.counters.Failed++
		q.history = append(q.history, r)
		q.seq = max(q.seq, r.ID)
	}
	if st.Queued != nil {
		q.counters.Dropped++
		q.seq = max(q.seq, st.Queued.ID)
	}
}

// Sites returns the configured site names, sorted.
func (d *Deployer) Sites() []string {
	var out []string
	for n := range d.sites {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Enqueue accepts a push for a site. If a deploy of the site is already
// waiting, the waiting one is replaced by this newer push (coalesced); the
// running deploy is never interrupted. It does not block on the build.
// An event whose ref (ValidateRef), commit (a hex object name, unless the
// ref was deleted) or delivery id is invalid is refused with a
// *PayloadError.
func (d *Deployer) Enqueue(site string, ev *PushEvent, delivery string) error {
	q, ok := d.sites[site]
	if !ok {
		return fmt.Errorf("%w %q", ErrUnknownSite, site)
	}
	d.mu.Lock()
	closed := d.closed
	d.mu.Unlock()
	if closed {
		return ErrClosed
	}
	// The commit names the deploy's log file and reaches git; the ref
	// reaches the build's environment. The Receiver only passes events
	// ParsePush validated, but Enqueue is public: check them here too.
	if ev == nil {
		return &PayloadError{Offset: -1, Msg: "no push event"}
	}
	if err := ValidateRef(ev.Ref); err != nil {
		return err
	}
	if !ev.Deleted {
		if _, err := objectName("after", ev.After); err != nil {
			return err
		}
	}
	if len(delivery) > 128 || validateName("delivery", delivery) != nil {
		return &PayloadError{Field: "delivery", Offset: -1, Msg: "a delivery id is at most 128 printable characters"}
	}
	now := time.Now().UTC()
	q.mu.Lock()
	q.counters.Accepted++
	q.seq++
	if ev.Deleted {
		q.counters.Skipped++
		q.appendHistory(Record{ID: q.seq, Commit: ev.After, Ref: ev.Ref, Deliveries: 1, DeliveryIDs: []string{delivery},
			Queued: now, Status: StatusSkipped, Error: "the ref was deleted; nothing to deploy"})
		q.mu.Unlock()
		return nil
	}
	r := &Record{ID: q.seq, Commit: ev.After, Ref: ev.Ref, Before: ev.Before, Forced: ev.Forced, Deliveries: 1, Queued: now, Status: StatusQueued}
	if p := q.pending; p != nil {
		q.counters.Coalesced++ // the waiting delivery is superseded; its own coalesced ones were counted before
		r.Deliveries += p.Deliveries
		r.Coalesced = p.Deliveries
		r.DeliveryIDs = p.DeliveryIDs
	}
	if len(r.DeliveryIDs) < maxDeliveryIDs {
		r.DeliveryIDs = append(r.DeliveryIDs, delivery)
	}
	q.pending = r
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return nil
}

func (q *siteQueue) appendHistory(r Record) {
	q.history = append(q.history, r)
	if len(q.history) > historyKeep {
		q.history = slices.Clone(q.history[len(q.history)-historyKeep:])
	}
	q.appendHistoryFile(r)
}

// appendHistoryFile keeps the full record (every delivery id) on disk.
func (q *siteQueue) appendHistoryFile(r Record) {
	name := filepath.Join(q.dir, historyFile)
	if fi, err := os.Stat(name); err == nil && fi.Size() > historyFileKeep {
		os.Rename(name, name+".1")
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return
	}
	defer f.Close()
	b, _ := json.Marshal(r)
	f.Write(append(b, '\n'))
}

func (q *siteQueue) work(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		}
		q.mu.Lock()
		r := q.pending
		q.pending = nil
		var rec Record
		if r != nil {
			r.Status, r.Started = StatusRunning, time.Now().UTC()
			r.Log = filepath.Join(q.dir, "logs", fmt.Sprintf("%s-%s-%d.log", r.Started.Format(timeLayout), r.Commit[:min(12, len(r.Commit))], r.ID))
			q.running = r
			q.counters.Builds++
			rec = *r // the deploy fills in its own copy; status readers see r
		}
		q.mu.Unlock()
		if r == nil {
			continue
		}
		q.writeStatus()
		q.deploy(ctx, &rec)
		r = &rec
		q.mu.Lock()
		q.running = nil
		switch r.Status {
		case StatusSucceeded:
			q.counters.Deployed++
			q.liveCommit = r.Commit
		case StatusRefused:
			q.counters.Skipped++
		default:
			q.counters.Failed++
		}
		q.appendHistory(*r)
		q.mu.Unlock()
		q.writeStatus()
	}
}

// deploy runs fetch, build and publish for r, filling in its outcome.
func (q *siteQueue) deploy(ctx context.Context, r *Record) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(q.cfg.Timeout))
	defer cancel()
	start := time.Now()
	lf, err := os.OpenFile(r.Log, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	var log io.Writer = io.Discard
	if err == nil {
		defer lf.Close()
		log = &capWriter{w: lf, left: maxLogBytes}
	}
	q.rotateLogs()
	fmt.Fprintf(log, "deploy %d of site %s: %s at %s (%d deliveries, %d coalesced)\n", r.ID, q.cfg.Name, r.Ref, r.Commit, r.Deliveries, r.Coalesced)
	err = q.steps(ctx, r, log)
	r.Duration = Duration(time.Since(start).Round(time.Millisecond))
	switch {
	case err == nil:
		r.Status = StatusSucceeded
	case errors.Is(err, ErrRewind):
		r.Status, r.Error = StatusRefused, err.Error()
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		r.Status, r.Error = StatusTimedOut, fmt.Sprintf("timed out after %v: %v", time.Duration(q.cfg.Timeout), err)
	case ctx.Err() != nil:
		r.Status, r.Error = StatusCanceled, "canceled: "+err.Error()
	default:
		r.Status, r.Error = StatusFailed, err.Error()
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		r.ExitCode = ee.Code
	} else if err != nil {
		r.ExitCode = -1
	}
	fmt.Fprintf(log, "result: %s after %v", r.Status, time.Duration(r.Duration))
	if r.Error != "" {
		fmt.Fprintf(log, ": %s", r.Error)
	}
	fmt.Fprintln(log)
}

func (q *siteQueue) steps(ctx context.Context, r *Record, log io.Writer) error {
	if err := q.src.Checkout(ctx, r.Commit, log); err != nil {
		return err
	}
	if err := q.checkNotRewind(ctx, r, log); err != nil {
		return err
	}
	branch, _ := strings.CutPrefix(r.Ref, "refs/heads/")
	if branch == r.Ref {
		branch = ""
	}
	tag, _ := strings.CutPrefix(r.Ref, "refs/tags/")
	if tag == r.Ref {
		tag = ""
	}
	out := filepath.Join(q.src.Dir, q.cfg.Output)
	env := []string{
		"DEPLOY_SITE=" + q.cfg.Name, "DEPLOY_COMMIT=" + r.Commit, "DEPLOY_REF=" + r.Ref,
		"DEPLOY_BRANCH=" + branch, "DEPLOY_TAG=" + tag, "DEPLOY_ID=" + fmt.Sprint(r.ID),
		"DEPLOY_WORKDIR=" + q.src.Dir, "DEPLOY_OUTPUT=" + out, "DEPLOY_WEBROOT=" + q.cfg.Webroot,
	}
	if err := q.cfg.Build.Run(ctx, q.src.Dir, env, log); err != nil {
		return err
	}
	if err := noSymlinkBelow(q.src.Dir, q.cfg.Output); err != nil {
		return err
	}
	fmt.Fprintf(log, "publishing %s\n", out)
	rel, err := q.pub.Publish(ctx, out, r.Commit)
	if err != nil {
		return err
	}
	r.Release = rel.Name
	fmt.Fprintf(log, "live: %s\n", rel.Path)
	return nil
}

// checkNotRewind refuses to deploy a commit that is an ancestor of the
// live one, unless the push was forced, the push moved the ref away from
// the live commit itself (its "before" is the live commit: GitLab, Gitea,
// Forgejo and Gogs send no "forced" flag, so this is how their force-push
// back shows), or the site allows rewinds. For
// most forges the delivery id is not covered by the signature, so a
// captured push can be sent again under a new id; this check keeps such a
// replay from putting an old commit live. The live commit is the one of
// the current release (a manual rollback moves it), else the last one
// deployed. When git cannot tell (the live commit is not in the clone),
// the deploy goes ahead and the log says so.
func (q *siteQueue) checkNotRewind(ctx context.Context, r *Record, log io.Writer) error {
	if r.Forced || q.cfg.AllowRewind {
		return nil
	}
	q.mu.Lock()
	live := q.liveCommit
	q.mu.Unlock()
	if name, err := q.pub.CurrentName(); err == nil {
		if _, short, ok := parseRelease(name); ok && !strings.HasPrefix(live, short) && validPrefix(short) {
			live = short // rolled back by hand since the last deploy
		}
	}
	if live == "" || strings.HasPrefix(r.Commit, live) {
		return nil // first deploy, or a rebuild of the live commit
	}
	if r.Before != "" && strings.HasPrefix(r.Before, live) {
		// The forge moved the ref from the live commit to this one: a
		// deliberate rewind, not the replay of an older delivery (whose
		// "before" is older than the commit it deploys).
		fmt.Fprintf(log, "the push moved %s from the live commit %s back to %s; deploying\n", r.Ref, live, r.Commit)
		return nil
	}
	back, err := q.src.IsAncestor(ctx, r.Commit, live)
	if err != nil {
		fmt.Fprintf(log, "cannot tell whether %s is older than the live commit %s (%v); deploying\n", r.Commit, live, err)
		return nil
	}
	if back {
		return fmt.Errorf("%w: %s is an ancestor of the live commit %s and the push was not forced (a replayed delivery?)", ErrRewind, r.Commit, live)
	}
	return nil
}

func validPrefix(s string) bool { _, err := objectNamePrefix(s); return err == nil }

func (q *siteQueue) rotateLogs() {
	ents, err := os.ReadDir(filepath.Join(q.dir, "logs"))
	if err != nil {
		return
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".log") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	for len(names) > q.cfg.LogKeep {
		os.Remove(filepath.Join(q.dir, "logs", names[0]))
		names = names[1:]
	}
}

func (q *siteQueue) status() SiteStatus {
	q.mu.Lock()
	st := SiteStatus{Site: q.cfg.Name, LiveCommit: q.liveCommit, Counters: q.counters, History: slices.Clone(q.history), Updated: time.Now().UTC()}
	if q.running != nil {
		r := *q.running
		st.Running = &r
	}
	if q.pending != nil {
		r := *q.pending
		st.Queued = &r
	}
	q.mu.Unlock()
	st.Live, _ = q.pub.CurrentName()
	st.Releases, _ = q.pub.Releases()
	return st
}

func (q *siteQueue) writeStatus() {
	b, err := json.MarshalIndent(q.status(), "", "  ")
	if err == nil {
		atomicfile.WriteFile(filepath.Join(q.dir, statusFile), append(b, '\n'), 0o640)
	}
}

// Status returns the named site's status.
func (d *Deployer) Status(site string) (SiteStatus, error) {
	q, ok := d.sites[site]
	if !ok {
		return SiteStatus{}, fmt.Errorf("%w %q", ErrUnknownSite, site)
	}
	return q.status(), nil
}

// Idle reports whether no site has a deploy running or queued.
func (d *Deployer) Idle() bool {
	for _, q := range d.sites {
		q.mu.Lock()
		busy := q.running != nil || q.pending != nil
		q.mu.Unlock()
		if busy {
			return false
		}
	}
	return true
}

// Shutdown stops accepting pushes, drops queued deploys (recording them as
// dropped), lets running deploys finish until ctx ends, then cancels them
// and waits for the workers to stop.
func (d *Deployer) Shutdown(ctx context.Context) error {
	d.mu.Lock()
	d.closed = true
	d.mu.Unlock()
	for _, q := range d.sites {
		q.mu.Lock()
		if p := q.pending; p != nil {
			q.counters.Dropped++
			q.pending = nil
		}
		q.mu.Unlock()
	}
	waitIdle := make(chan struct{})
	go func() {
		defer close(waitIdle)
		for !d.Idle() {
			time.Sleep(20 * time.Millisecond)
		}
	}()
	var err error
	select {
	case <-waitIdle:
	case <-ctx.Done():
		err = fmt.Errorf("grace period over, canceling running deploys: %w", ctx.Err())
	}
	d.cancel()
	d.wg.Wait()
	for _, q := range d.sites {
		q.writeStatus()
	}
	return err
}
