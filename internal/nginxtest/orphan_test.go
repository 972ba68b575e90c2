package nginxtest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hostkit-dev/hostkit/internal/testenv"
)

// childEnv makes the test binary start a private nginx, print its process
// group and wait to be killed, as a test binary does that dies (go test
// -timeout, ^C, the OOM killer) before its cleanups can run.
const childEnv = "HOSTKIT_NGINXTEST_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(orphanChild(dir))
	}
	os.Exit(m.Run())
}

func orphanChild(dir string) int {
	bin := testenv.LookTool("nginx")
	if bin == "" {
		fmt.Fprintln(os.Stderr, "nginx not found")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	s, err := start(ctx, bin, Config{Dir: dir, HTTP: "access_log off;"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Printf("pgid %d\n", s.p.pid())
	time.Sleep(time.Hour)
	runtime.KeepAlive(s)
	return 0
}

// liveInGroup lists the processes of group pgid that are not zombies.
func liveInGroup(pgid int) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		// state ppid pgrp ...
		f := strings.Fields(s[i+1:])
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, err := strconv.Atoi(f[2]); err == nil && g == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}

// No nginx process outlives a test binary that dies without running its
// cleanups.
func TestNginxDiesWithTheTestBinary(t *testing.T) {
	testenv.RequireTool(t, "nginx")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+t.TempDir())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	var pgid int
	if _, serr := fmt.Sscanf(line, "pgid %d", &pgid); err != nil || serr != nil || pgid <= 1 {
		t.Fatalf("child did not start nginx: %q, %v, %v", line, err, serr)
	}
	// Whatever happens, do not leave this group behind.
	t.Cleanup(func() { syscall.Kill(-pgid, syscall.SIGKILL) })
	if live := liveInGroup(pgid); len(live) < 2 {
		t.Fatalf("nginx group %d has processes %v, want a master and a worker", pgid, live)
	}
	cmd.Process.Kill()
	cmd.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for {
		live := liveInGroup(pgid)
		if len(live) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the test binary died, nginx processes %v of group %d still run", live, pgid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
