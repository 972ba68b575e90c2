package webdeploy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// Layout names inside a webroot.
const (
	ReleasesDir = "releases" // <webroot>/releases/<time>-<shortsha>/
	CurrentLink = "current"  // <webroot>/current -> releases/<name>
	tmpPrefix   = ".tmp-"    // a release being copied; debris after a crash
	timeLayout  = "20060102T150405.000000Z"
)

// Release is one published copy of a site.
type Release struct {
	Name   string    `json:"name"`   // directory name under releases/
	Commit string    `json:"commit"` // short commit id taken from the name
	Time   time.Time `json:"time"`   // publish time taken from the name
	Path   string    `json:"path"`
	Live   bool      `json:"live"` // current points here
}

// Publisher copies build output into releases and switches the current
// symlink atomically. Readers of <webroot>/current (a web server) see the
// old release or the new one, whole, at every instant, and after a crash
// at any point. A Publisher serializes its own operations; run one per
// webroot.
type Publisher struct {
	Webroot string
	// Keep is how many releases to keep (the live one always stays).
	Keep int

	mu   sync.Mutex
	last string
}

// NewPublisher returns a Publisher for webroot keeping keep releases.
func NewPublisher(webroot string, keep int) *Publisher {
	if keep < 1 {
		keep = DefaultKeep
	}
	return &Publisher{Webroot: webroot, Keep: keep}
}

func (p *Publisher) releases() string { return filepath.Join(p.Webroot, ReleasesDir) }

// parseRelease reads a release directory name.
func parseRelease(name string) (t time.Time, commit string, ok bool) {
	ts, c, found := strings.Cut(name, "-")
	if !found || c == "" {
		return t, "", false
	}
	t, err := time.Parse(timeLayout, ts)
	if err != nil {
		return t, "", false
	}
	return t, c, true
}

// Publish copies the tree at src into a new release named after now and
// commit, makes it durable, points current at it and prunes old releases.
// Symlinks in src are copied as symlinks, and only if they stay inside the
// release; anything else that cannot be served safely fails the publish
// with ErrUnsafeTree, leaving the live release untouched.
func (p *Publisher) Publish(ctx context.Context, src, commit string) (Release, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	unlock, err := p.lockWebroot(ctx)
	if err != nil {
		return Release{}, err
	}
	defer unlock()
	short := commit
	if len(short) > 12 {
		short = short[:12]
	}
	if _, err := objectNamePrefix(short); err != nil {
		return Release{}, fmt.Errorf("publish: commit %q: %w", commit, err)
	}
	if err := p.checkCurrentIsLink(); err != nil {
		return Release{}, err
	}
	if err := os.MkdirAll(p.releases(), 0o755); err != nil {
		return Release{}, fmt.Errorf("publish: %w", err)
	}
	p.removeDebris()
	name := p.newName(time.Now(), short)
	tmp := filepath.Join(p.releases(), tmpPrefix+name)
	final := filepath.Join(p.releases(), name)
	if err := copyTree(ctx, src, tmp); err != nil {
		os.RemoveAll(tmp)
		return Release{}, fmt.Errorf("publish %s: %w", name, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return Release{}, fmt.Errorf("publish: %w", err)
	}
	if err := atomicfile.SyncDir(p.releases()); err != nil {
		return Release{}, fmt.Errorf("publish: %w", err)
	}
	if err := p.switchTo(name); err != nil {
		return Release{}, err
	}
	p.last = name
	p.pruneLocked()
	t, c, _ := parseRelease(name)
	return Release{Name: name, Commit: c, Time: t, Path: final, Live: true}, nil
}

// newName picks a release name that sorts after every existing one, so
// name order is publish order even when two publishes share a timestamp.
func (p *Publisher) newName(now time.Time, short string) string {
	latest := p.last
	if rs, err := p.listNames(); err == nil && len(rs) > 0 && rs[len(rs)-1] > latest {
		latest = rs[len(rs)-1]
	}
	now = now.UTC()
	if lt, _, ok := parseRelease(latest); ok && !now.After(lt) {
		now = lt.Add(time.Microsecond)
	}
	return now.Format(timeLayout) + "-" + short
}

func objectNamePrefix(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", errors.New("not lower-case hexadecimal")
		}
	}
	return s, nil
}

func (p *Publisher) checkCurrentIsLink() error {
	fi, err := os.Lstat(filepath.Join(p.Webroot, CurrentLink))
	if err == nil && fi.Mode()&fs.ModeSymlink == 0 {
		return fmt.Errorf("publish: %s exists and is not a symlink; move it away (webdeploy switches a symlink there)", filepath.Join(p.Webroot, CurrentLink))
	}
	return nil
}

func (p *Publisher) switchTo(name string) error {
	if err := atomicfile.Symlink(filepath.Join(ReleasesDir, name), filepath.Join(p.Webroot, CurrentLink)); err != nil {
		return fmt.Errorf("switch current to %s: %w", name, err)
	}
	return nil
}

func (p *Publisher) listNames() ([]string, error) {
	ents, err := os.ReadDir(p.releases())
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if _, _, ok := parseRelease(e.Name()); ok && e.IsDir() {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// CurrentName returns the name of the live release, or "" if none.
func (p *Publisher) CurrentName() (string, error) {
	t, err := os.Readlink(filepath.Join(p.Webroot, CurrentLink))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return filepath.Base(t), nil
}

// Releases lists the kept releases, oldest first.
func (p *Publisher) Releases() ([]Release, error) {
	names, err := p.listNames()
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cur, _ := p.CurrentName()
	out := make([]Release, 0, len(names))
	for _, n := range names {
		t, c, _ := parseRelease(n)
		out = append(out, Release{Name: n, Commit: c, Time: t, Path: filepath.Join(p.releases(), n), Live: n == cur})
	}
	return out, nil
}

// Rollback points current at the named kept release; with name "" at the
// release published before the live one. It waits for a publish of
// another process to finish (see RollbackContext).
func (p *Publisher) Rollback(name string) (Release, error) {
	return p.RollbackContext(context.Background(), name)
}

// RollbackContext is Rollback waiting at most until ctx ends for the
// webroot's lock, which every Publisher of any process holds while it
// publishes, prunes or rolls back.
func (p *Publisher) RollbackContext(ctx context.Context, name string) (Release, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	unlock, err := p.lockWebroot(ctx)
	if err != nil {
		return Release{}, err
	}
	defer unlock()
	rs, err := p.Releases()
	if err != nil {
		return Release{}, err
	}
	idx := -1
	if name == "" {
		for i, r := range rs {
			if r.Live {
				idx = i - 1
			}
		}
		if idx < 0 {
			return Release{}, fmt.Errorf("%w: no release older than the live one is kept", ErrUnknownRelease)
		}
	} else {
		idx = slices.IndexFunc(rs, func(r Release) bool { return r.Name == name })
		if idx < 0 {
			return Release{}, fmt.Errorf("%w %q (see the releases list)", ErrUnknownRelease, name)
		}
	}
	if err := p.switchTo(rs[idx].Name); err != nil {
		return Release{}, err
	}
	r := rs[idx]
	r.Live = true
	return r, nil
}

// Prune removes releases beyond Keep (oldest first, never the live one)
// and the debris of interrupted publishes. It returns what it removed.
func (p *Publisher) Prune() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	unlock, err := p.lockWebroot(context.Background())
	if err != nil {
		return nil
	}
	defer unlock()
	return append(p.removeDebris(), p.pruneLocked()...)
}

func (p *Publisher) pruneLocked() []string {
	rs, err := p.Releases()
	if err != nil {
		return nil
	}
	var removed []string
	excess := len(rs) - p.Keep
	for _, r := range rs {
		if excess <= 0 {
			break
		}
		if r.Live {
			continue
		}
		if os.RemoveAll(r.Path) == nil {
			removed = append(removed, r.Name)
		}
		excess--
	}
	return removed
}

func (p *Publisher) removeDebris() []string {
	var removed []string
	// a current link being replaced when the process died
	// (internal/atomicfile's temporary name for it)
	for _, n := range p.linkDebris() {
		if os.Remove(filepath.Join(p.Webroot, n)) == nil {
			removed = append(removed, n)
		}
	}
	ents, _ := os.ReadDir(p.releases())
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) || strings.HasPrefix(e.Name(), atomicfile.TempPrefix) {
			if os.RemoveAll(filepath.Join(p.releases(), e.Name())) == nil {
				removed = append(removed, e.Name())
			}
		}
	}
	return removed
}

// linkDebris lists the temporary links an interrupted switch of current
// left in the webroot.
func (p *Publisher) linkDebris() []string {
	ents, _ := os.ReadDir(p.Webroot)
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), atomicfile.TempPrefix+CurrentLink+"-") && e.Type()&fs.ModeSymlink != 0 {
			out = append(out, e.Name())
		}
	}
	return out
}

// Health describes a webroot's publish layout.
type Health struct {
	Webroot  string    `json:"webroot"`
	Live     string    `json:"live,omitempty"`
	Releases []Release `json:"releases"`
	// Debris are leftovers of interrupted publishes (removed by the next
	// publish or Prune).
	Debris []string `json:"debris,omitempty"`
	// Problems are what would make the site unservable or a publish fail.
	Problems []string `json:"problems,omitempty"`
}

// Check inspects the layout without changing it.
func (p *Publisher) Check() Health {
	h := Health{Webroot: p.Webroot}
	if fi, err := os.Stat(p.Webroot); err != nil {
		h.Problems = append(h.Problems, err.Error())
		return h
	} else if !fi.IsDir() {
		h.Problems = append(h.Problems, p.Webroot+" is not a directory")
		return h
	}
	cur := filepath.Join(p.Webroot, CurrentLink)
	fi, err := os.Lstat(cur)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		h.Problems = append(h.Problems, "no current symlink yet (nothing published)")
	case err != nil:
		h.Problems = append(h.Problems, err.Error())
	case fi.Mode()&fs.ModeSymlink == 0:
		h.Problems = append(h.Problems, cur+" is not a symlink: a publish would refuse to replace it")
	default:
		h.Live, _ = p.CurrentName()
		if st, err := os.Stat(cur); err != nil || !st.IsDir() {
			h.Problems = append(h.Problems, fmt.Sprintf("current points at %s, which is not a directory", h.Live))
		}
	}
	h.Releases, err = p.Releases()
	if err != nil {
		h.Problems = append(h.Problems, err.Error())
	}
	h.Debris = p.linkDebris()
	ents, _ := os.ReadDir(p.releases())
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tmpPrefix) || strings.HasPrefix(e.Name(), atomicfile.TempPrefix) {
			h.Debris = append(h.Debris, e.Name())
		}
	}
	return h
}
