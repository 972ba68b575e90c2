package pkgconfig

import (
	"encoding/binary"
	"hash/maphash"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// dirIndex is the list of names in one search directory, read once with
// getdents64 so that a client that looks up many names (every installed
// module, say) does not pay a failed open for each NAME-uninstalled.pc
// and each directory that lacks NAME.pc. It is only built where a failed
// lookup in the listing proves that open would fail with ENOENT: a
// directory that can be listed, on a file system whose names compare
// byte for byte (ext4, tmpfs, btrfs, overlayfs without case folding).
type dirIndex struct {
	names []byte   // each name followed by a NUL
	types []byte   // d_type of each name, in the same order
	slots []uint32 // open addressing: offset+1 into names, 0 = empty
	seed  maphash.Seed
}

const (
	ext4Magic      = 0xEF53
	tmpfsMagic     = 0x01021994
	btrfsMagic     = 0x9123683E
	overlayfsMagic = 0x794c7630
	fsCasefoldFl   = 0x40000000 // FS_CASEFOLD_FL (include/uapi/linux/fs.h)
)

// listDir reads the directory's names; nil when the directory cannot be
// used as an index (see dirIndex).
func listDir(dir string) *dirIndex {
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	defer syscall.Close(fd)
	var fs syscall.Statfs_t
	if syscall.Fstatfs(fd, &fs) != nil {
		return nil
	}
	switch uint32(fs.Type) {
	case ext4Magic, tmpfsMagic, btrfsMagic, overlayfsMagic:
	default:
		return nil
	}
	var flags int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), unix.FS_IOC_GETFLAGS, uintptr(unsafe.Pointer(&flags))); e == 0 && flags&fsCasefoldFl != 0 {
		return nil
	} else if e != 0 && e != syscall.ENOTTY && e != syscall.EOPNOTSUPP && e != syscall.EINVAL {
		return nil
	}
	x := &dirIndex{seed: maphash.MakeSeed()}
	buf := make([]byte, 16<<10)
	for {
		n, err := syscall.Getdents(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil
		}
		if n <= 0 {
			break
		}
		for off := 0; off+19 <= n; {
			// struct linux_dirent64: d_ino, d_off (8 bytes each),
			// d_reclen (2, host byte order), d_type (1), d_name
			reclen := int(binary.NativeEndian.Uint16(buf[off+16:]))
			if reclen == 0 || off+reclen > n {
				return nil
			}
			name := buf[off+19 : off+reclen]
			for i, c := range name {
				if c == 0 {
					name = name[:i]
					break
				}
			}
			if len(name) > 0 && !(len(name) <= 2 && name[0] == '.' && (len(name) == 1 || name[1] == '.')) {
				x.names = append(append(x.names, name...), 0)
				x.types = append(x.types, buf[off+18])
			}
			off += reclen
		}
	}
	count := 0
	for _, c := range x.names {
		if c == 0 {
			count++
		}
	}
	size := 16
	for size < 2*count {
		size *= 2
	}
	x.slots = make([]uint32, size)
	for off := 0; off < len(x.names); {
		end := off
		for x.names[end] != 0 {
			end++
		}
		i := x.hash(x.names[off:end])
		for x.slots[i] != 0 {
			i = (i + 1) & (len(x.slots) - 1)
		}
		x.slots[i] = uint32(off + 1)
		off = end + 1
	}
	return x
}

func (x *dirIndex) hash(name []byte) int {
	return int(maphash.Bytes(x.seed, name)) & (len(x.slots) - 1)
}

// has reports whether the directory held an entry named name.
func (x *dirIndex) has(name []byte) bool {
	for i := x.hash(name); x.slots[i] != 0; i = (i + 1) & (len(x.slots) - 1) {
		off := int(x.slots[i] - 1)
		if len(x.names) >= off+len(name)+1 && string(x.names[off:off+len(name)]) == string(name) && x.names[off+len(name)] == 0 {
			return true
		}
	}
	return false
}

// eachReverse calls fn with every name and its d_type, last listed
// first.
func (x *dirIndex) eachReverse(fn func(name []byte, typ byte)) {
	end := len(x.names) - 1 // the NUL after the last name
	for k := len(x.types) - 1; end > 0; k-- {
		start := end - 1
		for start >= 0 && x.names[start] != 0 {
			start--
		}
		fn(x.names[start+1:end], x.types[k])
		end = start
	}
}

// regularEntry reports whether the listed entry at path (its d_type typ)
// is a regular file, following a symbolic link. Only those are read
// ahead: opening a FIFO blocks until a writer comes, and a device may
// never reach end of file.
func regularEntry(path []byte, typ byte) bool {
	switch typ {
	case unix.DT_REG:
		return true
	case unix.DT_LNK, unix.DT_UNKNOWN:
		var st unix.Stat_t
		return unix.Stat(string(path), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG
	}
	return false
}
