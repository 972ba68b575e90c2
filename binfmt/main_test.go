package binfmt_test

import (
	"github.com/hostkit-dev/hostkit/binfmt"
	"testing"

	"github.com/hostkit-dev/hostkit/binfmt/binfmttest"
)

func TestMain(m *testing.M) { binfmttest.Main(m) }

func binfmtRun(t *testing.T, sb *binfmt.Sandbox, fn, arg string) string {
	t.Helper()
	return binfmttest.Run(t, sb, fn, arg)
}
