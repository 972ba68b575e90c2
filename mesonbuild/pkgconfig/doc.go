// Package pkgconfig is pkg-config in pure Go, answering exactly as
// pkgconf 1.8.1 (Debian 12's pkg-config) does: same search path, same
// Requires walk, same flag order, de-duplication and quoting, same
// version comparison, same error messages.
//
// # Use
//
// Open a client with the environment and options, then ask:
//
//	c, err := pkgconfig.New(pkgconfig.Options{})          // process environment
//	cflags, err := c.Cflags("gtk+-3.0")                     // Fragments
//	libs, err := c.WithStatic(true).Libs("wlroots")         // --libs --static
//	v, err := c.Modversion("glib-2.0")
//	ok := c.Exists("wayland-server >= 1.21")
//	dir, _, err := c.Variable("wayland-protocols", "pkgdatadir")
//	fmt.Println(cflags.String())  // the bytes pkgconf prints, trailing space included
//	args := libs.Strings()        // unquoted, ready for exec
//
// A Client reads each .pc file at most once and is safe for concurrent
// use, so a build orchestrator can resolve hundreds of dependencies
// without spawning a process per question. Options.Env replaces the
// process environment (PKG_CONFIG_PATH, PKG_CONFIG_LIBDIR,
// PKG_CONFIG_SYSROOT_DIR, PKG_CONFIG_ALLOW_SYSTEM_CFLAGS/LIBS, ...).
//
// # Files
//
// Parse splits a .pc file into entries (variables "k=v", properties
// "Key: value"), handling comments, backslash escapes and continuation
// lines the way pkgconf's reader does; it never fails, and records what
// pkgconf --validate warns about with the file and line. A Client
// evaluates the entries: variables expand when defined (${var}, globals
// and --define-variable first, undefined names empty; "$$" is not an
// escape in 1.8), dependency lists parse with pkgconf's state machine,
// Cflags and Libs split like shell words into Fragments. Expansion is
// bounded: values stop at 64 KiB as in pkgconf, and a value that expands
// to a reference to itself (which crashes pkgconf) is rejected with an
// error naming the file and line.
//
// # Search path
//
// PKG_CONFIG_PATH, then PKG_CONFIG_LIBDIR when set (even empty, which
// adds nothing) or else the personality's default path (for the native
// personality, Debian's compiled-in list with missing directories
// dropped) followed by --with-path directories; duplicates (same path or
// inode) are dropped. In each directory NAME-uninstalled.pc wins over NAME.pc unless
// PKG_CONFIG_DISABLE_UNINSTALLED. A name ending in ".pc" is a file path.
//
// # Resolution
//
// pkgconf 1.8 walks the graph depth first, once per output, collecting
// each package's fragments before its Requires (then Requires.private
// for Cflags and for --static). Fragments merge as pkgconf_fragment_copy
// does: -I, -L and -F keep their first occurrence; other flags drop an
// earlier identical copy when its left neighbour allows, so the last one
// stays; fragments reached through Requires.private under --static are
// appended without merging. Special arguments (-framework X, -isystem X,
// -include X, -Wl,..., -pthread, paths) merge with the special arguments
// that follow them. System -I/-L directories are dropped after the walk.
// A package missing from the search path may be supplied by another's
// Provides (versioned, with pkgconf's table of operator pairs); a
// Conflicts rule that matches one of the package's Requires fails the
// query; an edge back to a package being walked is skipped.
//
// # Sysroot
//
// With PKG_CONFIG_SYSROOT_DIR, a value that starts with '/' and not with
// the sysroot gets it prepended when it is defined, and so does the data
// of -I, -L, -F style flags; ${pc_sysrootdir} is the sysroot ("/" when
// none; "" when PKG_CONFIG_SYSROOT_DIR is set to the empty string, as in
// pkgconf). PKG_CONFIG_FDO_SYSROOT_RULES turns off the first rule only,
// as in pkgconf 1.8.
//
// # Cost
//
// A lookup by name opens DIR/NAME-uninstalled.pc and DIR/NAME.pc
// directly, directory by directory, as pkgconf does. A client that has
// had 40 failed opens (one resolving many modules) lists each search
// directory once instead and skips the opens its listing proves would
// fail; it does so only on file systems whose names compare byte for
// byte (ext4, tmpfs, btrfs, overlayfs, without case folding), and names
// with a slash are always opened. List and a Provides fallback list
// directories too. A client reads each file once (a name found nowhere
// is remembered as missing too, until a query names a .pc file in a new
// directory) and remembers what each Requires entry resolved to. File
// text, expanded values and the small lists of each package are carved
// from a few large blocks rather than allocated one by one, so a
// process that answers one query touches few pages of memory. The
// Cflags walk skips a
// subtree when nothing in it can change the result (every package below
// already collected and carrying only -I/-L/-F flags, which keep their
// first copy), so graphs such as gtk+-3.0's cost one pass instead of one
// per path; the output is the full walk's (TestPruneKeepsCflags).
//
// # Differences from pkgconf
//
// Where pkgconf 1.8.1 crashes or reads out of bounds (self-referential
// variables, a trailing operator on the command line) or would walk for
// ever (a graph with exponentially many paths: ErrGraphTooLarge after a
// million visits), this package reports an error instead. Packages are shared within a client where
// pkgconf re-reads a file during a Provides scan, which only matters for
// cycles through Provides; likewise an -uninstalled.pc package that
// requires its own name is one package here, where pkgconf re-reads it
// down to the depth limit and repeats any error below it at each level.
package pkgconfig
