package acmeutil

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Manager keeps the certificates of a Storage issued, renewed on time and
// installed. One Manager serves many certificates under one context; several
// processes may share a store, the per-certificate lock keeps them apart.
type Manager struct {
	// Store holds the certificates.
	Store Storage
	// Client is used for certificates from its CA. For stores holding
	// certificates of several CAs, set Connect instead (or as well).
	Client *Client
	// Connect returns a client for a CA directory URL; results are cached.
	Connect func(ctx context.Context, server string) (*Client, error)
	// Solvers returns the solvers for a certificate; nil means a
	// WebrootSolver for the webroot in its metadata.
	Solvers func(m *Metadata) []Solver
	// DisableARI skips ACME Renewal Information and renews on the default
	// window only.
	DisableARI bool
	// Now and Rand replace time.Now and rand.Float64 (tests).
	Now  func() time.Time
	Rand func() float64
	// Logger receives one line per action; nil discards.
	Logger *slog.Logger

	mu      sync.Mutex
	clients map[string]*Client
}

// Result is what Manager did for one certificate.
type Result struct {
	Name string
	// Decision is the renewal decision made.
	Decision Decision
	// Renewed is true when a new certificate was issued and stored.
	Renewed bool
	// Install is the install outcome, when the certificate has an InstallSpec.
	Install *InstallResult
	// Err is the failure, if any (also returned by Check).
	Err error
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

func (m *Manager) rand() float64 {
	if m.Rand != nil {
		return m.Rand()
	}
	return rand.Float64()
}

func (m *Manager) log() *slog.Logger {
	if m.Logger != nil {
		return m.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (m *Manager) client(ctx context.Context, server string) (*Client, error) {
	if m.Client != nil && m.Client.cfg.DirectoryURL == server {
		return m.Client, nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c := m.clients[server]; c != nil {
		return c, nil
	}
	if m.Connect == nil {
		return nil, fmt.Errorf("%w: no client for CA %s", ErrInvalidConfig, server)
	}
	c, err := m.Connect(ctx, server)
	if err != nil {
		return nil, err
	}
	if m.clients == nil {
		m.clients = make(map[string]*Client)
	}
	m.clients[server] = c
	return c, nil
}

func (m *Manager) solvers(md *Metadata) ([]Solver, error) {
	if m.Solvers != nil {
		return m.Solvers(md), nil
	}
	if md.Issue.Webroot == "" {
		return nil, fmt.Errorf("%w: certificate %q has no webroot and the manager no solvers", ErrInvalidConfig, md.Name)
	}
	return []Solver{&WebrootSolver{Root: md.Issue.Webroot}}, nil
}

// Obtain issues a certificate with client and stores it under the name of
// its first domain, remembering settings (and install, if not nil) for
// renewals; then installs it. It holds the certificate's lock throughout.
func (m *Manager) Obtain(ctx context.Context, client *Client, req IssueRequest, settings IssueSettings, install *InstallSpec) (*Certificate, *InstallResult, error) {
	if err := validateDomains(req.Domains); err != nil {
		return nil, nil, err
	}
	if install != nil {
		if err := install.Validate(); err != nil {
			return nil, nil, err
		}
	}
	name := CertName(req.Domains[0])
	unlock, err := m.Store.Lock(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	req.Profile, req.PreferredChain = settings.Profile, settings.PreferredChain
	c, err := m.issueAndSave(ctx, client, req, settings, install, nil)
	if err != nil {
		return nil, nil, err
	}
	if c.Meta.Install == nil {
		return c, nil, nil
	}
	ir, err := m.install(ctx, c)
	return c, &ir, err
}

// issueAndSave issues, builds the metadata (keeping prev's install spec) and saves.
func (m *Manager) issueAndSave(ctx context.Context, client *Client, req IssueRequest, settings IssueSettings, install *InstallSpec, prev *Metadata) (*Certificate, error) {
	iss, err := client.Issue(ctx, req)
	if err != nil {
		return nil, err
	}
	now := m.now()
	md := Metadata{
		Version:   MetadataVersion,
		Name:      CertName(iss.Domains[0]),
		Domains:   iss.Domains,
		KeyType:   KeyTypeOf(iss.Key.Public()),
		Server:    client.cfg.DirectoryURL,
		OrderURL:  iss.OrderURL,
		CertURL:   iss.CertURL,
		Serial:    iss.Leaf.SerialNumber.Text(16),
		NotBefore: iss.Leaf.NotBefore.UTC(),
		NotAfter:  iss.Leaf.NotAfter.UTC(),
		IssuedAt:  now,
		Issue:     settings,
		Install:   install,
	}
	if prev != nil && install == nil {
		md.Install = prev.Install
	}
	md.Renewal.RenewAt = RenewalTime(md.NotBefore, md.NotAfter, nil, m.rand())
	// ARI for the new certificate is asked on the next check.
	md.Renewal.ARINextCheck = now
	c := &Certificate{Meta: md, KeyPEM: iss.KeyPEM, CertPEM: iss.CertPEM, ChainPEM: iss.ChainPEM}
	if err := m.Store.Save(ctx, c); err != nil {
		return nil, err
	}
	m.log().Info("certificate issued", "name", md.Name, "serial", md.Serial, "not_after", md.NotAfter)
	return c, nil
}

func (m *Manager) install(ctx context.Context, c *Certificate) (InstallResult, error) {
	spec := c.Meta.Install
	// Write ahead: record the reload as pending before any file changes, so
	// that a crash between replacing the files and a finished reload is
	// still reloaded by the next pass (which finds the files identical and
	// would otherwise leave the server on the old certificate).
	if len(spec.ReloadCmd) > 0 && !spec.ReloadPending && installDiffers(c, *spec) {
		spec.ReloadPending = true
		if err := m.Store.SaveMetadata(ctx, &c.Meta); err != nil {
			spec.ReloadPending = false
			return InstallResult{}, fmt.Errorf("acmeutil: install: recording the pending reload: %w", err)
		}
	}
	ir, err := Install(ctx, c, *spec)
	pending := err != nil && len(spec.ReloadCmd) > 0 && (len(ir.Changed) > 0 || spec.ReloadPending)
	if pending != spec.ReloadPending {
		spec.ReloadPending = pending
		if serr := m.Store.SaveMetadata(ctx, &c.Meta); serr != nil && err == nil {
			err = serr
		}
	}
	if err != nil {
		m.log().Error("install failed", "name", c.Meta.Name, "err", err)
	} else if len(ir.Changed) > 0 {
		m.log().Info("certificate installed", "name", c.Meta.Name, "files", ir.Changed, "reloaded", ir.Reloaded)
	}
	return ir, err
}

// Check looks at one certificate: refreshes its ARI window when due,
// renews it when due (or when force is set), records failures with
// backoff, and installs it (reloading only on change).
func (m *Manager) Check(ctx context.Context, name string, force bool) (Result, error) {
	res := Result{Name: name}
	fail := func(err error) (Result, error) {
		res.Err = err
		return res, err
	}
	unlock, err := m.Store.Lock(ctx, name)
	if err != nil {
		return fail(err)
	}
	defer unlock()
	c, err := m.Store.Load(ctx, name)
	if err != nil {
		return fail(err)
	}
	md := &c.Meta
	now := m.now()
	d := Decide(md, now)
	dirty := false
	if d.CheckARI && !force {
		m.refreshARI(ctx, c, now)
		dirty = true
		d = Decide(md, now)
		d.CheckARI = false
	}
	res.Decision = d
	if d.Renew || force {
		client, err := m.client(ctx, md.Server)
		if err == nil {
			solvers, serr := m.solvers(md)
			err = serr
			if err == nil {
				req := IssueRequest{Domains: md.Domains, KeyType: md.KeyType, Solvers: solvers,
					Profile: md.Issue.Profile, PreferredChain: md.Issue.PreferredChain}
				var nc *Certificate
				nc, err = m.issueAndSave(ctx, client, req, md.Issue, nil, md)
				if err == nil {
					c, md, dirty = nc, &nc.Meta, false
					res.Renewed = true
				}
			}
		}
		if err != nil {
			md.Renewal.recordFailure(m.now(), err)
			m.log().Error("renewal failed", "name", name, "failures", md.Renewal.Failures,
				"next_attempt", md.Renewal.NextAttempt, "err", err)
			if serr := m.Store.SaveMetadata(ctx, md); serr != nil {
				err = errors.Join(err, serr)
			}
			return fail(err)
		}
	}
	if dirty {
		if err := m.Store.SaveMetadata(ctx, md); err != nil {
			return fail(err)
		}
	}
	if md.Install != nil {
		ir, err := m.install(ctx, c)
		res.Install = &ir
		if err != nil {
			return fail(err)
		}
	}
	return res, nil
}

// refreshARI fetches the CA's window; on failure it tries again later and
// keeps the window it had.
func (m *Manager) refreshARI(ctx context.Context, c *Certificate, now time.Time) {
	r := &c.Meta.Renewal
	if m.DisableARI {
		r.ARINextCheck = now.Add(ARIMaxInterval)
		return
	}
	client, err := m.client(ctx, c.Meta.Server)
	if err == nil {
		var ri RenewalInfo
		ri, err = client.RenewalInfo(ctx, c.Leaf)
		if err == nil {
			r.applyARI(ri, now, m.rand())
			return
		}
	}
	if errors.Is(err, ErrNoARI) {
		r.ARINextCheck = now.Add(ARIMaxInterval)
		return
	}
	m.log().Warn("renewal info unavailable", "name", c.Meta.Name, "err", err)
	r.ARINextCheck = now.Add(time.Hour)
}

// RunOnce checks every stored certificate once (see Check) and returns the
// results; the error joins every certificate's failure.
func (m *Manager) RunOnce(ctx context.Context) ([]Result, error) {
	names, err := m.Store.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []Result
	var errs []error
	for _, n := range names {
		if ctx.Err() != nil {
			break
		}
		r, err := m.Check(ctx, n, false)
		out = append(out, r)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", n, err))
		}
	}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return out, errors.Join(errs...)
}

// Planned is one certificate's renewal decision, from Plan.
type Planned struct {
	Name     string
	Meta     *Metadata
	Decision Decision
	Err      error
}

// Plan reads every certificate's metadata and decides, without network or
// locks: what status commands and the scheduler need.
func (m *Manager) Plan(ctx context.Context) ([]Planned, error) {
	names, err := m.Store.List(ctx)
	if err != nil {
		return nil, err
	}
	now := m.now()
	out := make([]Planned, len(names))
	// Reading metadata is system-call bound: a few readers in parallel.
	const workers = 4
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				md, err := m.Store.LoadMetadata(ctx, names[i])
				p := Planned{Name: names[i], Meta: md, Err: err}
				if err == nil {
					p.Decision = Decide(md, now)
				}
				out[i] = p
			}
		}()
	}
	for i := range names {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Run checks every certificate, sleeps until the earliest next action
// (at most MaxSleep, at least a second), and repeats until ctx is done.
// Failures are logged and retried with backoff; Run returns ctx's error.
func (m *Manager) Run(ctx context.Context) error {
	for {
		if _, err := m.RunOnce(ctx); err != nil && ctx.Err() == nil {
			m.log().Error("renewal pass had failures", "err", err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		next := m.now().Add(MaxSleep)
		plan, err := m.Plan(ctx)
		if err != nil && ctx.Err() == nil {
			m.log().Error("planning failed", "err", err)
		}
		for _, p := range plan {
			if p.Err == nil && p.Decision.Next.Before(next) && !p.Decision.Next.IsZero() {
				next = p.Decision.Next
			}
		}
		wait := max(next.Sub(m.now()), time.Second)
		m.log().Info("next renewal check", "at", m.now().Add(wait))
		if err := sleepCtx(ctx, wait); err != nil {
			return err
		}
	}
}

// MaxSleep is the longest Manager.Run sleeps between passes, so that a
// changed store or clock is noticed.
const MaxSleep = 12 * time.Hour
