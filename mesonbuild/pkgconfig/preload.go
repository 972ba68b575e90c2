package pkgconfig

import (
	"bytes"
	"runtime"
)

// Reading ahead. A client that has listed its search directories (after
// indexAfter failed opens: it is resolving many modules, as a build
// orchestrator or the all-modules benchmark does) starts one background
// goroutine that reads every .pc file of those listings into the cache,
// last directory and last name first, while queries go on in the
// caller's goroutines. A query that needs a file the reader has reached
// finds it parsed; one that needs a file the reader has not reached reads
// it itself, as before (the two meet once, not on every file: queries
// tend to go in listing order, the reader goes the other way).
//
// Only the cache is shared: the reader keys each file exactly as a lookup
// does (DIR/NAME-uninstalled.pc as uninstalled, DIR/NAME.pc as
// installed), caches what a lookup would cache (a file that opens, valid
// or not; nothing for one that does not), reports nothing (it is not
// started when Options.Warn is set) and never resolves a name, so the
// answers, the messages and their order are those of the queries alone.
// It is not started with a single CPU, nor with Options.NoPreload.

// startPreload starts the reader once per client.
func (c *Client) startPreload() {
	if c.opts.Warn != nil || c.opts.NoPreload || runtime.GOMAXPROCS(0) < 2 {
		return
	}
	c.st.mu.Lock()
	start := !c.st.preloading
	c.st.preloading = true
	c.st.mu.Unlock()
	if start {
		go c.preload()
	}
}

// preload reads every .pc file of the listed search directories.
func (c *Client) preload() {
	m := newLoadMem() // its own: the queries keep the client's
	dirs := c.searchDirs()
	for i := len(dirs) - 1; i >= 0; i-- {
		d := dirs[i]
		x := c.dirIndex(d)
		if x == nil {
			continue
		}
		x.eachReverse(func(name []byte, typ byte) {
			if !bytes.HasSuffix(name, []byte(".pc")) {
				return
			}
			uninstalled := bytes.HasSuffix(name, []byte("-uninstalled.pc"))
			if uninstalled && c.noUninstalled {
				return
			}
			b := append(m.path[:0], d...)
			b = append(b, '/')
			b = append(b, name...)
			m.path = b
			// only regular files: a lookup that names a FIFO or a
			// device opens it itself, as pkgconf would
			if regularEntry(b, typ) {
				c.loadBytes(m, len(b), uninstalled)
			}
		})
	}
}
