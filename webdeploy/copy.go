package webdeploy

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// copyHook, when set (by tests), runs before each file is copied.
var copyHook func(rel string)

// copyTree copies src into dst (which must not exist), fsyncing every
// file and directory. It never follows a symlink: links are recreated as
// links when their target stays inside the tree, and refused otherwise.
// A top-level .git directory is skipped.
func copyTree(ctx context.Context, src, dst string) error {
	// Lstat, not Stat: a build output that is itself a symlink (say a
	// committed "public -> /etc") would otherwise publish its target.
	fi, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%w: %s is a symlink; publish a real directory", ErrUnsafeTree, src)
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", src)
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		return err
	}
	if err := copyDir(ctx, src, dst, ""); err != nil {
		return err
	}
	return syncPath(dst)
}

func copyDir(ctx context.Context, srcRoot, dstRoot, rel string) error {
	ents, err := os.ReadDir(filepath.Join(srcRoot, rel))
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := ctx.Err(); err != nil {
			return err
		}
		r := filepath.Join(rel, e.Name())
		if rel == "" && e.Name() == ".git" {
			continue
		}
		s, d := filepath.Join(srcRoot, r), filepath.Join(dstRoot, r)
		fi, err := os.Lstat(s)
		if err != nil {
			return err
		}
		switch mode := fi.Mode(); {
		case mode.IsDir():
			if err := os.Mkdir(d, mode.Perm()|0o700); err != nil {
				return err
			}
			if err := copyDir(ctx, srcRoot, dstRoot, r); err != nil {
				return err
			}
			if err := os.Chmod(d, mode.Perm()); err != nil {
				return err
			}
			if err := syncPath(d); err != nil {
				return err
			}
		case mode&fs.ModeSymlink != 0:
			target, err := os.Readlink(s)
			if err != nil {
				return err
			}
			if err := LinkStaysInside(r, target); err != nil {
				return err
			}
			if err := os.Symlink(target, d); err != nil {
				return err
			}
		case mode.IsRegular():
			if copyHook != nil {
				copyHook(r)
			}
			if err := copyFile(s, d, mode.Perm()&0o777); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: %s is a %v, not a file, directory or symlink", ErrUnsafeTree, r, mode.Type())
		}
	}
	return nil
}

// LinkStaysInside reports (with an ErrUnsafeTree error) whether a symlink
// at rel (a path relative to a tree's root) pointing at target would
// resolve inside that tree. The rule is strict so that it holds whatever
// the other entries are: the target must be relative, its ".." components
// must all come first and climb no higher than the root; the rest must
// not contain "..". Every link in a tree passing this check keeps every
// path that starts inside the tree inside it.
func LinkStaysInside(rel, target string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: symlink %s -> %s %s", ErrUnsafeTree, rel, target, why)
	}
	if target == "" {
		return bad("is empty")
	}
	if filepath.IsAbs(target) {
		return bad("is absolute (it would leave the release)")
	}
	depth := strings.Count(filepath.Clean(rel), string(filepath.Separator)) // directories above the link
	ups, down := 0, false
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
		case "..":
			if down {
				return bad(`has ".." after a name (it could climb out through another link)`)
			}
			ups++
		default:
			down = true
		}
	}
	if ups > depth {
		return bad("climbs above the release root")
	}
	return nil
}

// noSymlinkBelow checks that no component of rel (a relative path under
// root) is a symlink, so that root/rel names a place inside root whatever
// the tree holds.
func noSymlinkBelow(root, rel string) error {
	p := root
	for _, c := range strings.Split(filepath.Clean(rel), string(filepath.Separator)) {
		if c == "." || c == "" {
			continue
		}
		p = filepath.Join(p, c)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%w: %s is a symlink; the output must be a real directory inside the checkout", ErrUnsafeTree, p)
		}
	}
	return nil
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncPath(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
