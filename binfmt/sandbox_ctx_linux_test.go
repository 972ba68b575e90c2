package binfmt_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/binfmt"
	"github.com/hostkit-dev/hostkit/binfmt/binfmttest"
)

func init() {
	binfmt.RegisterSandboxFunc("block", func(ctx context.Context, m *binfmt.Mount, arg string) (string, error) {
		time.Sleep(time.Minute)
		return "slept", nil
	})
}

// TestSandboxRunReportsContextError: when the context ends while the
// function runs, Run stops the helper and says why, with an error that
// errors.Is recognises as the context's.
func TestSandboxRunReportsContextError(t *testing.T) {
	binfmttest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	out, err := (&binfmt.Sandbox{}).Run(ctx, "block", "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run with an expired context: %q, %v; want an error wrapping context.DeadlineExceeded", out, err)
	}
}
