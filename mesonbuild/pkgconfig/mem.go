package pkgconfig

import (
	"sync/atomic"
	"unsafe"
)

// loadMem is where a client puts what it reads: file text, expanded
// values and the small lists of each package, carved from a few large
// chunks instead of thousands of small allocations of every size. A
// process that answers one query (the command) then touches a few pages
// of heap instead of one span per size class, and a client that reads
// every installed file allocates tens of chunks instead of tens of
// thousands of objects.
//
// Invariant: bytes are only ever appended at the end of a chunk; a
// string handed out (unsafe.String over chunk bytes) covers bytes that
// are never written again. A loadMem is used by one goroutine at a time
// (the client lends it out under its mutex).
type loadMem struct {
	text  []byte // free space is text[len(text):cap(text)]
	deps  []Dependency
	frags []Fragment
	kvs   []varKV // variables and properties
	slots []atomic.Pointer[Package]
	pkgs  []Package

	// scratch reused from load to load (never handed out)
	entries []Entry
	words   []string
	depBuf  []Dependency
	expBuf  [][]byte // one buffer per expansion depth
	word    []byte
	path    []byte

	// lean is set for a loadMem that serves one file (Client.evaluate):
	// chunks and slabs are then sized to what is asked, not for more
	// files to come.
	lean bool
}

const (
	textChunk = 32 << 10 // the largest size class that is still "small"
	slabLen   = 128
)

// room makes sure n more bytes fit in the current text chunk.
func (m *loadMem) room(n int) {
	if cap(m.text)-len(m.text) >= n {
		return
	}
	size := textChunk
	if n > size/2 || m.lean {
		size = max(n, 256) // a big file gets a chunk of its own
	}
	m.text = make([]byte, 0, size)
}

// str copies b into the text chunk and returns it as a string.
func (m *loadMem) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	m.room(len(b))
	start := len(m.text)
	m.text = append(m.text, b...)
	return unsafe.String(&m.text[start], len(b))
}

// textString returns m.text[start:] as a string and closes it: the bytes
// are never written again.
func (m *loadMem) textString(start int) string {
	if len(m.text) == start {
		return ""
	}
	return unsafe.String(&m.text[start], len(m.text)-start)
}

// take returns n zeroed elements of a slab, capacity limited to n so an
// append by a caller copies instead of overwriting the next owner's.
func take[T any](m *loadMem, slab *[]T, n int) []T {
	if n == 0 {
		return nil
	}
	s := *slab
	if cap(s)-len(s) < n {
		if n > slabLen/4 || m.lean {
			return make([]T, n)
		}
		s = make([]T, 0, slabLen)
	}
	out := s[len(s) : len(s)+n : len(s)+n]
	*slab = s[:len(s)+n]
	return out
}

// expBuffer returns the scratch buffer for an expansion at depth d.
func (m *loadMem) expBuffer(d int) []byte {
	for len(m.expBuf) <= d {
		m.expBuf = append(m.expBuf, make([]byte, 0, 256))
	}
	return m.expBuf[d][:0]
}

// varKV is one variable of a package, or one "Key: value" property as
// written.
type varKV struct {
	key, value string
}

// firstBlock is the memory a loadMem starts with, in one allocation: a
// query that reads a few dozen files (the command) takes everything from
// it, and the pages of it that are never used are never touched. (Small
// objects of each size would each start a span of their own.)
//
// Sized for a query such as wlroots --cflags --libs (30 files, 80
// dependencies, 100 fragments, 420 variables and properties, 12 KiB of
// text); a bigger graph continues in separate slabs.
type firstBlock struct {
	pkgs  [32]Package
	deps  [128]Dependency
	frags [128]Fragment
	kvs   [448]varKV
	slots [64]atomic.Pointer[Package]
	text  [textChunk]byte // last: no pointers, not scanned
}

func newLoadMem() *loadMem {
	b := new(firstBlock)
	return &loadMem{
		pkgs: b.pkgs[:0], deps: b.deps[:0], frags: b.frags[:0],
		kvs: b.kvs[:0], slots: b.slots[:0], text: b.text[:0],
	}
}

// newPackage returns a zeroed Package from the slab.
func (m *loadMem) newPackage() *Package {
	if m.lean {
		return &Package{}
	}
	if len(m.pkgs) == cap(m.pkgs) {
		m.pkgs = make([]Package, 0, 16)
	}
	m.pkgs = m.pkgs[:len(m.pkgs)+1]
	return &m.pkgs[len(m.pkgs)-1]
}

// mem lends the client's loadMem to the caller until putMem; a
// concurrent loader gets a fresh one.
func (c *Client) mem() *loadMem {
	c.st.mu.Lock()
	m := c.st.lmem
	c.st.lmem = nil
	c.st.mu.Unlock()
	if m == nil {
		m = newLoadMem()
	}
	return m
}

func (c *Client) putMem(m *loadMem) {
	// scratch slices hold strings into chunks: keep them short-lived
	clear(m.entries[:cap(m.entries)])
	clear(m.words[:cap(m.words)])
	clear(m.depBuf[:cap(m.depBuf)])
	m.entries, m.words, m.depBuf = m.entries[:0], m.words[:0], m.depBuf[:0]
	c.st.mu.Lock()
	if c.st.lmem == nil {
		c.st.lmem = m
	}
	c.st.mu.Unlock()
}
