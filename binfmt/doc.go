// Package binfmt makes foreign-architecture programs run through Linux's
// binfmt_misc, the way qemu-binfmt-conf.sh, tonistiigi/binfmt,
// multiarch/qemu-user-static, systemd-binfmt, Debian's update-binfmts and
// NixOS' boot.binfmt do, and says why a program does or does not run.
//
// # Registrations
//
// A Registration is one handler: the register string
// `:name:type:offset:magic:mask:interpreter:flags`. Parse reads one exactly
// as the kernel's fs/binfmt_misc.c does (any delimiter, \xHH escapes, the
// 256-byte match window, C implying O, and every rule the kernel enforces),
// and refuses what the kernel would refuse with a *FieldError naming the
// field, its byte offset and the rule; the tests compare Parse with a live
// kernel on 3,010 generated and mutated strings (20,010 with
// HOSTKIT_BINFMT_DIFF_N=10000) without a difference. Encode writes the
// canonical form back, escaping every magic and mask byte.
//
// # The QEMU table
//
// QEMUTargets lists every target of QEMU's qemu-binfmt-conf.sh with the ELF
// header fields (class, byte order, machine, e_flags) its magic and mask are
// built from, and its CPU family so a host can skip its own. QEMUOptions
// carry the script's options (emulator directory, suffix such as "-static"
// or Debian's "-binfmt-P", flags). For every target Debian ships, the
// bytes equal those of /usr/lib/binfmt.d/qemu-*.conf.
//
// # A live binfmt_misc
//
// Mount is a handle on a binfmt_misc mount at any path: list entries (in
// kernel order, newest first), read, register (ErrExists for a taken name,
// or RegisterOptions.Replace to remove it first as systemd-binfmt does),
// enable, disable and remove one or all. Sandbox runs a command or a
// function in a new user and mount namespace with a private binfmt_misc
// (Linux 6.7 and later), for sandboxes and tests; a program that uses it
// calls SandboxMain first thing in main. Package binfmttest wraps it for
// tests.
//
// # Matching and diagnosis
//
// Match picks the entry the kernel would use for a file, and says why and
// why not the others; DetectArch says which architecture an ELF header is
// for. Diagnose answers "exec format error": binfmt_misc not mounted or
// disabled, no entry for the architecture, the entry disabled, the
// interpreter missing, outside a container's root without F, or dynamically
// linked, the P flag missing for an interpreter that needs it.
//
// # Configuration files
//
// ParseBinfmtD, LoadBinfmtD and WriteBinfmtD read and write systemd's
// binfmt.d files with its rules (the four directories, same-name override,
// masking, lexical order, '#' and ';' comments); ParseDebianFormat and
// DebianFormat.Format handle update-binfmts format files.
//
// The package uses only the standard library (debug/elf for ELF headers),
// golang.org/x/sys/unix for statfs, mount and uname, and the module's
// internal/atomicfile for writing files.
package binfmt
