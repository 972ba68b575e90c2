package elfwrap

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxSymlinks is the loader's (the kernel's) limit on links followed while
// resolving one path.
const maxSymlinks = 40

// ResolveInRoot returns the host path of p (a path as seen inside root)
// with every symbolic link resolved inside root: an absolute link target
// starts again at root and ".." never leaves it, the way a chroot sees the
// tree. Root "" or "/" is the host, where p is returned unchanged (the
// kernel resolves it). A cycle gives an error matching ErrLoop.
func ResolveInRoot(root, p string) (string, error) {
	r := cleanRoot(root)
	if r == "" {
		return p, nil
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	var done []string // resolved components inside root
	todo := splitPath(p)
	links := 0
	for len(todo) > 0 {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cur := r + "/" + strings.Join(append(done, c), "/")
		fi, err := os.Lstat(cur)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			// Missing components stay as they are: the caller's open
			// reports the error with the right name.
			done = append(done, c)
			continue
		}
		links++
		if links > maxSymlinks {
			return "", fmt.Errorf("%s (in root %s): more than %d symbolic links: %w", p, root, maxSymlinks, ErrLoop)
		}
		target, err := os.Readlink(cur)
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(target, "/") {
			done = done[:0]
		}
		todo = append(splitPath(target), todo...)
	}
	return r + "/" + strings.Join(done, "/"), nil
}

func splitPath(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
}

// realPathInRoot is like filepath.EvalSymlinks inside root, returning the
// path as seen inside root.
func realPathInRoot(root, p string) (string, error) {
	r := cleanRoot(root)
	if r == "" {
		return filepath.EvalSymlinks(p)
	}
	h, err := ResolveInRoot(root, p)
	if err != nil {
		return "", err
	}
	in := strings.TrimPrefix(h, r)
	if in == "" {
		in = "/"
	}
	return in, nil
}
