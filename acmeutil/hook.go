package acmeutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// HookSolver answers challenges by running commands: the usual way to do
// DNS-01 with a DNS provider's CLI or API script. The commands get the
// challenge in their environment:
//
//	ACME_CHALLENGE_TYPE  dns-01 (or the configured Type)
//	ACME_DOMAIN          the identifier, e.g. example.com
//	ACME_TOKEN           the CA's token
//	ACME_KEY_AUTH        the key authorization (HTTP-01 body)
//	ACME_TXT_NAME        _acme-challenge.<domain>
//	ACME_TXT_VALUE       the DNS-01 TXT record value
//
// Commands are argv lists, executed directly (no shell).
type HookSolver struct {
	// Type is the challenge type; "" means DNS01.
	Type string
	// PresentCmd runs for Present; CleanUpCmd for CleanUp (may be empty).
	PresentCmd []string
	CleanUpCmd []string
	// Timeout bounds each command; 0 means 2 minutes.
	Timeout time.Duration
	// Wait is slept after PresentCmd succeeds (DNS propagation).
	Wait time.Duration
}

// ChallengeType implements Solver.
func (h *HookSolver) ChallengeType() string {
	if h.Type == "" {
		return DNS01
	}
	return h.Type
}

// Present implements Solver.
func (h *HookSolver) Present(ctx context.Context, ch Challenge) error {
	if err := ValidateToken(ch.Token); err != nil {
		return err
	}
	if len(h.PresentCmd) == 0 {
		return fmt.Errorf("%w: hook solver without a present command", ErrInvalidConfig)
	}
	if err := h.run(ctx, "present", h.PresentCmd, ch); err != nil {
		return err
	}
	if h.Wait > 0 {
		t := time.NewTimer(h.Wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// CleanUp implements Solver.
func (h *HookSolver) CleanUp(ctx context.Context, ch Challenge) error {
	if len(h.CleanUpCmd) == 0 {
		return nil
	}
	return h.run(ctx, "clean-up", h.CleanUpCmd, ch)
}

func (h *HookSolver) run(ctx context.Context, what string, argv []string, ch Challenge) error {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(),
		"ACME_CHALLENGE_TYPE="+ch.Type,
		"ACME_DOMAIN="+ch.Domain,
		"ACME_TOKEN="+ch.Token,
		"ACME_KEY_AUTH="+ch.KeyAuth,
		"ACME_TXT_NAME="+ch.DNSName(),
		"ACME_TXT_VALUE="+ch.DNSValue,
	)
	out := &tailWriter{max: 2048}
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if err == nil {
		return nil
	}
	code := -1
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("%w (timeout %v)", ctx.Err(), timeout)
	}
	return fmt.Errorf("for %s: %w", ch.Domain, &CommandError{Purpose: what + " hook", Argv: argv, ExitCode: code, Output: out.String(), Err: err})
}

// tailWriter keeps the last max bytes written to it: a command's output
// is shown in errors, and a chatty or hostile command cannot make this
// process hold all of it.
type tailWriter struct {
	max  int
	buf  []byte
	lost int64 // bytes dropped from the front
}

func (w *tailWriter) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) >= w.max {
		w.lost += int64(len(w.buf) + len(p) - w.max)
		w.buf = append(w.buf[:0], p[len(p)-w.max:]...)
		return n, nil
	}
	if over := len(w.buf) + len(p) - w.max; over > 0 {
		w.lost += int64(over)
		w.buf = append(w.buf[:0], w.buf[over:]...)
	}
	w.buf = append(w.buf, p...)
	return n, nil
}

// String is the kept tail, marked when the front was dropped.
func (w *tailWriter) String() string {
	if w.lost > 0 {
		return fmt.Sprintf("[%d earlier bytes dropped]\n%s", w.lost, w.buf)
	}
	return string(w.buf)
}
