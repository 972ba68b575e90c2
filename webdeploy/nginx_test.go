package webdeploy_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/webdeploy/webhooktest"
)

// bigPage is a page large enough that a torn read or a file from another
// release would show: every line names the release.
func bigPage(n int) string {
	return strings.Repeat(fmt.Sprintf("release %04d\n", n), 3000)
}

// checkPage returns the release a served page belongs to, or an error if
// it is not exactly one release's page.
func checkPage(body string) (int, error) {
	if len(body) < 13 {
		return 0, fmt.Errorf("short page (%d bytes)", len(body))
	}
	n, err := strconv.Atoi(body[8:12])
	if err != nil {
		return 0, fmt.Errorf("not a release page: %q", body[:min(40, len(body))])
	}
	if body != bigPage(n) {
		return 0, fmt.Errorf("page mixes releases or is torn (starts as release %d, %d bytes)", n, len(body))
	}
	return n, nil
}

// While 50 deploys switch releases, clients fetching pages from nginx never
// see an error, a torn page, a mix of releases, or an older release after
// a newer one.
func TestAtomicSwitchUnderNginx(t *testing.T) {
	s := newSite(t, time.Minute, 5)
	s.cfg.Sites[0].Keep = 5
	const n = 50
	shas := make([]string, n+1)
	for i := 0; i <= n; i++ {
		shas[i] = s.repo.Commit(fmt.Sprint("release ", i), map[string]string{
			"build.sh": "#!/bin/sh\nset -e\nmkdir -p public/sub\ncp page.txt public/index.html\ncp page.txt public/sub/page.html\n",
			"page.txt": bigPage(i),
		})
	}
	s.repo.Push("main")
	s.enqueue(t, shas[0])
	s.waitIdle(t)
	base := webhooktest.Nginx(t, filepath.Join(s.webroot, "current"))

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	requests := 0
	for _, path := range []string{"/index.html", "/sub/page.html"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 30 * time.Second}
			last := 0
			for ctx.Err() == nil {
				code, body, err := webhooktest.Get(context.Background(), client, base+path)
				mu.Lock()
				requests++
				switch {
				case err != nil:
					failures = append(failures, fmt.Sprintf("%s: %v", path, err))
				case code != http.StatusOK:
					failures = append(failures, fmt.Sprintf("%s: HTTP %d", path, code))
				default:
					rel, err := checkPage(body)
					if err != nil {
						failures = append(failures, path+": "+err.Error())
					} else if rel < last {
						failures = append(failures, fmt.Sprintf("%s: release %d after %d", path, rel, last))
					} else {
						last = rel
					}
				}
				mu.Unlock()
			}
		}()
	}
	for i := 1; i <= n; i++ {
		s.enqueue(t, shas[i])
		s.waitIdle(t)
	}
	stop()
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed, first: %v", len(failures), requests, failures[:min(5, len(failures))])
	}
	st, _ := s.d.Status("site")
	if st.Counters.Deployed != n+1 || st.LiveCommit != shas[n] {
		t.Fatalf("status %+v", st.Counters)
	}
	_, body, err := webhooktest.Get(context.Background(), http.DefaultClient, base+"/index.html")
	if rel, _ := checkPage(body); err != nil || rel != n {
		t.Fatalf("final page is release %d (%v)", rel, err)
	}
	t.Logf("%d requests during %d switches, none failed", requests, n)
}
