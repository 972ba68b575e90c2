package acmeutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/hostkit-dev/hostkit/internal/atomicfile"
)

// Bootstrap is the container-init sequence for nginx: http-only
// configuration, issue, install, https configuration, reload. It is safe to
// run at every start: when a certificate for the names is stored, the
// https configuration goes (or stays) in place, the certificate is renewed
// only if due (Manager.Check) and installed again if the files differ,
// without an http-only phase.
type Bootstrap struct {
	// Site is the nginx site; its CertFile and KeyFile are the install targets.
	Site NginxSite
	// ConfFile is the file the server blocks are written to (a file nginx
	// includes, e.g. /etc/nginx/conf.d/example.conf).
	ConfFile string
	// Nginx checks and reloads the configuration. nginx must be running.
	Nginx Nginx
	// Manager stores the certificate; Client issues it.
	Manager *Manager
	Client  *Client
	// KeyType, Profile and PreferredChain are passed to the issuance.
	KeyType        KeyType
	Profile        string
	PreferredChain string
}

// BootstrapResult says what Bootstrap did.
type BootstrapResult struct {
	// Issued is true when a new certificate was requested.
	Issued bool
	// Certificate is the stored certificate.
	Certificate *Certificate
	// RenewError is a failed renewal of a certificate that is still valid
	// (served meanwhile, retried by the Manager's schedule).
	RenewError error
}

// Run performs the sequence. On an nginx -t failure the previous
// configuration file is put back and the error (with nginx's output) returned.
// When the issuance fails, the configuration file that was there before the
// http-only one is put back (if nginx -t accepts it) and reloaded. A changed
// https configuration is recorded as waiting for a reload in the stored
// certificate's InstallSpec.ReloadPending before it is written, so a failed
// reload (or a crash before it) is reloaded by the next Run or renewal pass.
func (b *Bootstrap) Run(ctx context.Context) (*BootstrapResult, error) {
	if b.Manager == nil || b.Client == nil || b.ConfFile == "" {
		return nil, fmt.Errorf("%w: bootstrap needs a manager, a client and a configuration file", ErrInvalidConfig)
	}
	if err := b.Site.Validate(true); err != nil {
		return nil, err
	}
	spec := &InstallSpec{KeyFile: b.Site.KeyFile, FullchainFile: b.Site.CertFile, ReloadCmd: b.Nginx.ReloadCmd()}
	name := CertName(b.Site.ServerNames[0])
	res := &BootstrapResult{}

	c, err := b.Manager.Store.Load(ctx, name)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if err == nil && sameNames(c.Meta.Domains, b.Site.ServerNames) {
		// A certificate exists: keep (or put) the https configuration in
		// place and renew through it if due; its http server serves the
		// challenge path too, so there is no downtime.
		if c.Meta.Install == nil || !sameSpec(*c.Meta.Install, *spec) {
			unlock, err := b.Manager.Store.Lock(ctx, name)
			if err != nil {
				return nil, err
			}
			c.Meta.Install = spec
			err = b.Manager.Store.SaveMetadata(ctx, &c.Meta)
			unlock()
			if err != nil {
				return nil, err
			}
		}
		if b.Manager.Client == nil && b.Manager.Connect == nil {
			b.Manager.Client = b.Client
		}
		cr, err := b.Manager.Check(ctx, name, false)
		if err != nil {
			if !b.Manager.now().Before(c.Meta.NotAfter) {
				return nil, err
			}
			// Still valid: serve it, report the failure (retried later).
			res.RenewError = err
		}
		res.Issued = cr.Renewed
		if cur, lerr := b.Manager.Store.Load(ctx, name); lerr == nil {
			c = cur
		}
	} else {
		httpOnly, err := b.Site.RenderHTTPOnly()
		if err != nil {
			return nil, err
		}
		prev, rerr := os.ReadFile(b.ConfFile)
		if rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			return nil, fmt.Errorf("acmeutil: reading %s: %w", b.ConfFile, rerr)
		}
		// Reload even when the file is unchanged: a previous start may
		// have written it and then failed to reload (or died), and the CA
		// must reach the challenge path now.
		if err := b.apply(ctx, httpOnly, true); err != nil {
			return nil, err
		}
		settings := IssueSettings{Webroot: b.Site.Webroot, Profile: b.Profile, PreferredChain: b.PreferredChain}
		req := IssueRequest{Domains: b.Site.ServerNames, KeyType: b.KeyType,
			Solvers: []Solver{&WebrootSolver{Root: b.Site.Webroot}}}
		if c, _, err = b.Manager.Obtain(ctx, b.Client, req, settings, spec); err != nil {
			if rerr == nil && !sameBytes(prev, httpOnly) {
				// Put the configuration that was live before back.
				if aerr := b.apply(context.WithoutCancel(ctx), prev, false); aerr != nil {
					err = errors.Join(err, fmt.Errorf("acmeutil: putting the previous %s back: %w", b.ConfFile, aerr))
				}
			}
			return nil, err
		}
		res.Issued = true
	}
	res.Certificate = c
	full, err := b.Site.RenderHTTPS()
	if err != nil {
		return nil, err
	}
	// Write ahead: a changed configuration is recorded as waiting for a
	// reload (the certificate's InstallSpec.ReloadPending) before it is
	// written, so that a failed reload or a crash before it is reloaded by
	// the next start, which finds the file unchanged.
	md, err := b.Manager.Store.LoadMetadata(ctx, name)
	if err != nil {
		return res, err
	}
	pending := md.Install != nil && md.Install.ReloadPending
	if !pending && md.Install != nil && b.confDiffers(full) {
		if err := b.setReloadPending(ctx, name, true); err != nil {
			return res, err
		}
		pending = true
	}
	if err := b.apply(ctx, full, pending); err != nil {
		return res, err
	}
	if pending {
		if err := b.setReloadPending(ctx, name, false); err != nil {
			return res, err
		}
		if c.Meta.Install != nil {
			c.Meta.Install.ReloadPending = false
		}
	}
	return res, nil
}

// confDiffers reports whether ConfFile does not hold conf (or cannot be read).
func (b *Bootstrap) confDiffers(conf []byte) bool {
	old, err := os.ReadFile(b.ConfFile)
	return err != nil || !sameBytes(old, conf)
}

// setReloadPending records (or clears) a pending reload in the stored
// certificate's install spec, under the certificate's lock.
func (b *Bootstrap) setReloadPending(ctx context.Context, name string, v bool) error {
	unlock, err := b.Manager.Store.Lock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	md, err := b.Manager.Store.LoadMetadata(ctx, name)
	if err != nil {
		return err
	}
	if md.Install == nil || md.Install.ReloadPending == v {
		return nil
	}
	md.Install.ReloadPending = v
	if err := b.Manager.Store.SaveMetadata(ctx, md); err != nil {
		return fmt.Errorf("acmeutil: recording the pending nginx reload: %w", err)
	}
	return nil
}

// apply writes conf to ConfFile, checks it with nginx -t (restoring the old
// file on failure) and reloads nginx when the content changed or always is
// set.
func (b *Bootstrap) apply(ctx context.Context, conf []byte, always bool) error {
	old, err := os.ReadFile(b.ConfFile)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("acmeutil: reading %s: %w", b.ConfFile, err)
	}
	if existed && sameBytes(old, conf) {
		if always {
			return b.Nginx.Reload(ctx)
		}
		return nil
	}
	if err := atomicfile.Write(b.ConfFile, conf, atomicfile.Options{Perm: 0o644}); err != nil {
		return fmt.Errorf("acmeutil: writing nginx configuration: %w", err)
	}
	if err := b.Nginx.Test(ctx); err != nil {
		if existed {
			_ = atomicfile.Write(b.ConfFile, old, atomicfile.Options{Perm: 0o644})
		} else {
			_ = os.Remove(b.ConfFile)
		}
		return fmt.Errorf("nginx rejected %s (previous file restored): %w", b.ConfFile, err)
	}
	return b.Nginx.Reload(ctx)
}

func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func sameSpec(a, b InstallSpec) bool {
	return a.KeyFile == b.KeyFile && a.FullchainFile == b.FullchainFile && a.CertFile == b.CertFile &&
		a.ChainFile == b.ChainFile && sameNames(a.ReloadCmd, b.ReloadCmd)
}
