package webdeploy

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// TestMain doubles as the child process of TestKillMidCopy: with
// WEBDEPLOY_TEST_CHILD=publish it publishes WEBDEPLOY_TEST_SRC into
// WEBDEPLOY_TEST_WEBROOT slowly, so the parent can kill it mid-copy.
func TestMain(m *testing.M) {
	if os.Getenv("WEBDEPLOY_TEST_CHILD") == "publish" {
		copyHook = func(string) { time.Sleep(5 * time.Millisecond) }
		p := NewPublisher(os.Getenv("WEBDEPLOY_TEST_WEBROOT"), 5)
		if _, err := p.Publish(context.Background(), os.Getenv("WEBDEPLOY_TEST_SRC"), "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
