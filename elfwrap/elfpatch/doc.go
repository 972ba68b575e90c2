// Package elfpatch changes the program interpreter, the library search path
// (DT_RUNPATH or DT_RPATH), the DT_NEEDED list and the DT_SONAME of ELF
// executables and shared objects, so that they keep running: patchelf,
// in Go.
//
// It is a subpackage of elfwrap (which inspects ELF files and resolves their
// libraries) so that a build tool can import the patcher alone; it parses
// and rewrites the raw ELF structures itself and does not depend on elfwrap.
// The autopatch part (AutoPatch) does its own small library lookup for the
// same reason.
//
// # Use
//
//	f, err := elfpatch.Open("bin/tool")
//	...
//	f.SetInterpreter("/opt/glibc/lib/ld-linux-x86-64.so.2")
//	f.SetRunpath("$ORIGIN/../lib", elf.DT_RUNPATH)
//	f.AddNeeded("libextra.so.1")
//	err = f.WriteFile("bin/tool") // atomic: temp file + rename, same mode
//
// PatchFile wraps the three steps, and the example program examples/elfdeps
// (`elfdeps patch`) takes patchelf's flag names so it can stand in for
// patchelf in a build script.
//
// Every operation is checked before anything is written: a static program
// has no dynamic section to edit (ErrStatic), a static-pie has one but no
// interpreter that would ever load a NEEDED library or read a RUNPATH
// (ErrStaticPIE), a file without PT_INTERP cannot get one
// (ErrNoInterpreter). A malformed file gives a *FormatError naming the
// structure and byte offset. The output is parsed again before it is
// written and compared with what was asked; on any error no output file is
// created and an existing one is left as it was.
//
// Writing costs little more than the copy itself: the output is described
// as the original plus the patched byte ranges (a few KiB), never built as
// a second copy in memory. PatchFile maps the input, so parsing reads only
// the pages of the headers and dynamic tables, and has the kernel copy the
// unchanged bulk into the temporary file (copy_file_range(2): a reflink on
// XFS/btrfs, an in-kernel copy on ext4, a plain copy across file systems)
// before writing the patched ranges. The self-check parses a sparse view
// holding only the structures the parser reads (headers, tables,
// interpreter, dynamic section, string table, version needs); anything it
// misses reads as zeros, which can only fail the check, never pass it.
//
// # Writing in place
//
// WriteOptions.InPlace (`elfdeps patch --in-place`) is an opt-in that
// writes only the changed byte ranges into the file itself, as patchelf
// users effectively have it: the file keeps its inode (hard links stay
// shared, a symbolic link keeps pointing at it, the owner stays), no new
// inode is allocated and the unchanged bulk is not copied, so a patch
// costs a few KiB of writes whatever the file's size. The default stays
// the atomic replacement; InPlace is not atomic. What it does, in order:
//
//  1. The file is parsed from a read-only mapping, and the output is laid
//     out and checked exactly as for a replacement (same bytes).
//  2. The ranges where the output differs from the file are computed; their
//     new bytes and the original bytes they replace are copied to memory.
//  3. The path is opened for writing (no O_TRUNC) and must still be the same,
//     unchanged file (device, inode, size, modification and change times),
//     else nothing is written. A program that
//     is running cannot be opened for writing: the kernel answers ETXTBSY
//     and the error (matching syscall.ETXTBSY) says so. A read-only edit
//     (printing) never opens the file for writing.
//  4. Ranges past the original end are written (the appended segment:
//     nothing in the file refers to them yet), then the file is synced.
//  5. Ranges inside the file are written from its end towards its start, so
//     the program headers and the ELF header, which make the new ranges
//     reachable, come last; then the size is set (shorter when a segment of
//     an earlier run is rebuilt smaller) and the file is synced. NoSync
//     skips both syncs.
//
// On any error this process sees (a failed or short write, truncate or
// fsync) the original bytes are written back in reverse order, the
// original size is restored and the file synced; the error says the file
// was restored, or, if restoring failed too, that the file may be damaged.
// What no error path can cover: if the machine crashes or loses power
// before the final fsync returns, or the process is killed (SIGKILL)
// between two writes of step 5, the file can hold some new and some old
// ranges (with sync, the appended part is on disk before any header points
// to it; the ranges of step 5, typically a few KiB in two to four pages,
// are not written as one unit), and such a mix may not load. Killed during
// step 4, the file is the original plus unreferenced bytes at its end,
// which loads as before. patchelf's
// rewrite (open with O_TRUNC, write the whole file) is worse in the same
// events: an empty or truncated file. Use the default where that matters.
// Processes that have the file mapped as a shared library are not detected
// (the kernel does not refuse that write): they see the changed pages, as
// they do with patchelf; one that loads the library during the write can
// see a mix. Mode bits stay as the kernel leaves them on write(2) (it
// clears set-user-ID and set-group-ID when the writer lacks CAP_FSETID).
// InPlace is for PatchFileWith only (WriteFileWith and AutoPatch refuse
// it).
//
// Compatibility notes: AddNeeded does not add a name that is already needed
// (patchelf 0.14 adds a duplicate), so repeating an operation never changes
// the file; ReplaceNeeded also renames the library in the GNU version-needs
// records (.gnu.version_r), without which ld.so would not match the symbol
// versions to the replacement. Setting a search path leaves exactly one
// DT_RUNPATH or DT_RPATH entry. New entries go in front of the dynamic
// section, as patchelf puts them.
//
// # Layout of a patched file
//
// When the new values fit, they are written in place and the file keeps its
// size and layout: a shorter or equal interpreter overwrites the old one
// (padded with NUL bytes, the segment size unchanged so later patches can
// use the room); a search path or SONAME string that nothing else
// references (symbol names and version records are checked, and a string
// may be the tail of another) is overwritten in place; a string that already
// exists in the string table is reused; spare DT_NULL slots at the end of
// the dynamic section take new entries.
//
// Otherwise what must grow moves to one new load segment appended at the
// end of the file (after the section header table, which stays where it
// is):
//
//	[ELF header][program headers, one more][... unchanged ...][section headers]
//	[new PT_LOAD, RW: (program headers) interpreter, notes, version tables, .dynstr, .dynamic]
//
// The rules, and why:
//
//   - The interpreter and the dynamic section move only when they must grow;
//     PT_INTERP, PT_DYNAMIC and the .interp and .dynamic section headers
//     follow them and the old copies become unused bytes.
//   - The dynamic string table keeps its old contents first, so every
//     existing offset (symbol names, version records) stays valid, and new
//     strings are appended. It grows in place when the bytes after it are
//     free or hold only the GNU version tables (.gnu.version,
//     .gnu.version_r, .gnu.version_d, located by DT_VERSYM, DT_VERNEED and
//     DT_VERDEF alone): those few KiB move to the new segment instead of the
//     whole table, which for a large library is hundreds of KiB. Otherwise
//     the whole table moves. DT_STRTAB, DT_STRSZ and the .dynstr section
//     header follow it.
//   - The program header table needs one more entry for the new PT_LOAD. It
//     grows in place when only the interpreter string and note segments
//     (PT_NOTE, PT_GNU_PROPERTY) follow it: those move into the new segment
//     (patchelf makes room the same way). Keeping the table at its offset in
//     the first segment matters: kernels before 5.18 compute AT_PHDR from
//     e_phoff and the first segment. When something else is in the way, the
//     table moves to the start of the new segment and PT_PHDR follows it;
//     the segment then starts on a fresh file page (ld.so searches the
//     page-rounded file range of each PT_LOAD for a table without PT_PHDR
//     and would otherwise find it inside the previous segment's last page),
//     and, for programs, when a page of padding allows, where address minus
//     offset equals the first segment's, which keeps older kernels right too.
//   - The segment is writable (ld.so writes DT_DEBUG and, on most
//     architectures, relocates dynamic entries in place) and not executable.
//     Its address is above every existing segment, rounded up to the
//     alignment, and congruent to its file offset modulo the alignment, which
//     is the largest of the existing PT_LOAD alignments and the largest page
//     size the kernel may use for the machine (PageSize: 64 KiB for aarch64,
//     ppc, ppc64, mips, loongarch, alpha, ia64, tilegx; 8 KiB for sparc; 4
//     KiB otherwise). Only the address needs rounding: unless the program
//     headers move, the file offset is rounded to 64 bytes, so the file grows
//     by little more than what moved. PT_LOAD entries stay sorted by address.
//   - A file patched again reuses that segment (the last PT_LOAD, highest in
//     memory, at the end of the file, holding nothing but the tables above):
//     it is rebuilt in place, so repeated patching never adds segments and
//     the file grows only by what is really new.
//
// Moving the dynamic section of a MIPS file is refused
// (DT_MIPS_RLD_MAP_REL is relative to its address).
package elfpatch
