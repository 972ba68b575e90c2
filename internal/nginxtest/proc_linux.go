package nginxtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a started nginx master in a process group of its own; its
// output goes to a file (a pipe held open by a worker would keep Wait
// from returning).
type proc struct {
	cmd      *exec.Cmd
	out      string
	exited   chan struct{}
	waitErr  error
	stopOnce sync.Once

	// watchdog kills the group when the test binary dies before stop
	// runs (go test -timeout, ^C, SIGKILL): it waits for the end of a
	// pipe whose only writer is lifeline, which the kernel closes when
	// this process ends. The group is out of reach of the terminal's
	// signals and its master's workers do not die with the master, so
	// nothing else would end them.
	watchdog *exec.Cmd
	lifeline *os.File
}

// watchdogScript waits for end of file on stdin, then kills the process
// group given as $1.
const watchdogScript = `read _ || :; kill -s KILL -- -"$1" 2>/dev/null`

func startProc(bin, outPath string, args []string) (*proc, error) {
	f, err := os.Create(outPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group, so that stop reaches the workers even if
	// the master dies first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", filepath.Base(bin), err)
	}
	p := &proc{cmd: cmd, out: outPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if err := p.startWatchdog(); err != nil {
		p.stop()
		return nil, err
	}
	return p, nil
}

// startWatchdog starts the process that ends the group if this process
// dies first (see proc.watchdog).
func (p *proc) startWatchdog() error {
	r, w, err := os.Pipe() // close-on-exec: nginx and other children never hold w
	if err != nil {
		return fmt.Errorf("nginx watchdog: %w", err)
	}
	defer r.Close()
	wd := exec.Command("/bin/sh", "-c", watchdogScript, "nginxtest-watchdog", strconv.Itoa(p.pid()))
	wd.Stdin = r
	// Its own group too, so that ^C on the terminal reaches the test
	// binary (whose death it then sees) but not the watchdog.
	wd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := wd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("nginx watchdog: %w", err)
	}
	p.watchdog, p.lifeline = wd, w
	return nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM to the master (nginx's fast shutdown: it stops its
// workers, removes its pid file and exits), then SIGKILL to whatever is
// left of the group.
func (p *proc) stop() {
	p.stopOnce.Do(func() {
		// The watchdog goes first (killed, so it kills nothing): the
		// group is stopped below, and its pid may be reused after.
		if p.watchdog != nil {
			_ = p.watchdog.Process.Kill()
			_ = p.watchdog.Wait()
			p.lifeline.Close()
		}
		pgid := p.pid()
		if p.running() {
			_ = syscall.Kill(pgid, syscall.SIGTERM)
			select {
			case <-p.exited:
			case <-time.After(10 * time.Second):
			}
		}
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
		}
	})
}

// output returns the end of what nginx wrote to stdout and stderr.
func (p *proc) output() string {
	b, _ := os.ReadFile(p.out)
	return tail(string(b))
}

// workers returns the pids of the master's children (its worker
// processes, including old ones still shutting down after a reload).
func (p *proc) workers() []int {
	master := p.pid()
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentOf(pid); ok && ppid == master {
			pids = append(pids, pid)
		}
	}
	return pids
}

// parentOf reads the parent pid from /proc/PID/stat: the field after the
// state, which follows the command name in parentheses.
func parentOf(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 || f[0] == "Z" {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}
