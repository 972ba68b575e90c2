// Package elfwrap inspects ELF files, resolves their shared libraries the way
// glibc's dynamic loader does (without running anything), finds what is
// missing, and writes wrapper scripts that fix the environment a program
// runs in.
//
// # Inspecting
//
// [Inspect] reads the ELF identity (class, byte order, machine, OS ABI,
// type) and the dynamic section (PT_INTERP, DT_NEEDED, DT_RPATH,
// DT_RUNPATH, DT_SONAME, DT_FLAGS_1). It uses the standard library's
// debug/elf behind its own bounds checks and a recover, and reads the
// dynamic section through the program headers as the loader does. Bad
// input gives a [*FormatError] naming the structure and byte offset.
//
// # The loader's cache
//
// [ParseCache] reads /etc/ld.so.cache in the old (ld.so-1.7.0) and new
// (glibc-ld.so.cache1.1) formats with the glibc-hwcaps extension;
// [Cache.Lookup] answers as glibc's dl-cache.c does. [ParseLDConf] reads
// ld.so.conf with include globs, the fallback for roots without a cache.
//
// # Resolving
//
// A [Resolver] follows glibc's dl-load.c search order: DT_RPATH of the
// object and its loaders (when the object has no DT_RUNPATH),
// LD_LIBRARY_PATH, DT_RUNPATH, the cache, the default directories, with
// $ORIGIN/$LIB/$PLATFORM expansion, glibc-hwcaps and legacy hwcap
// subdirectories, DF_1_NODEFLIB, wrong-class candidates skipped, and
// already loaded objects reused by name and SONAME. It works on the host or
// inside a root directory (a sysroot, a foreign-architecture root file
// system, an unpacked container image). The [Result] is both a tree and the
// flat load order that `ld.so --list` prints.
//
// The load order equals `ld.so --list` on every dynamically linked x86_64
// file under /usr of a Debian 12 machine (see testdata/bench.sh), including
// where glibc's own rules are surprising: a library that cannot be found
// gets a placeholder that later DT_NEEDED entries do not match (each one
// searches again and is listed again), the interpreter is listed after its
// predecessor in the search list, and a file in a search directory that
// exists but cannot be opened (a symlink loop) ends the search of that list.
// The program's $ORIGIN is its real directory, as for a program that is run
// (/proc/self/exe); Resolver.OriginAsGiven gives `ld.so FILE`'s view.
//
// Not modelled: secure (setuid) mode, LD_PRELOAD and /etc/ld.so.preload,
// audit modules, DT_FILTER/DT_AUXILIARY, legacy-hwcap cache entries
// (ldconfig no longer writes them), and libraries a program dlopens.
//
// # Scanning and wrapping
//
// [Scan] walks a tree (a venv, node_modules, an unpacked wheel) and reports
// every ELF file with unresolved libraries, naming for each missing library
// the candidate directories that would provide it. [Wrapper] renders a
// shell wrapper (makeWrapper style: set, set-default, unset, prefix and
// suffix without empty elements, exec -a "$0") quoted for any byte, and
// [WrapPrograms] writes one per executable atomically with the original's
// mode.
package elfwrap
