package elfwrap

import (
	"debug/elf"
	"os"
	"runtime"
	"strings"
	"sync"
)

// Platform is what the dynamic loader of one ABI takes for granted: where it
// lives, its built-in search directories, the $LIB and $PLATFORM values,
// which ld.so.cache entries fit, and which hwcap subdirectories it tries.
// The values are Debian's (multiarch) builds of glibc.
type Platform struct {
	// Class, Data and Machine identify the ABI.
	Class   elf.Class
	Data    elf.Data
	Machine elf.Machine
	// Loader is the usual PT_INTERP ("/lib64/ld-linux-x86-64.so.2").
	Loader string
	// Triplet is the multiarch directory name ("x86_64-linux-gnu").
	Triplet string
	// Name is the $PLATFORM value (AT_PLATFORM: "x86_64", "aarch64").
	Name string
	// Lib is the $LIB value ("lib/x86_64-linux-gnu" on Debian).
	Lib string
	// DefaultDirs are the loader's compile-time search directories.
	DefaultDirs []string
	// CacheFlags is the ld.so.cache flag value entries must carry
	// (_DL_CACHE_DEFAULT_ID); AcceptPlainELF also admits flag 1 (i386).
	CacheFlags     int32
	AcceptPlainELF bool
	// HWCaps are the glibc-hwcaps subdirectory names tried in every search
	// directory, most preferred first.
	HWCaps []string
	// LegacySubdirs are the pre-2.37 hwcap subdirectories ("tls/x86_64",
	// "x86_64", ...) tried after HWCaps and before the directory itself.
	LegacySubdirs []string
}

// CacheFlagsOK reports whether a cache entry's flags fit this platform.
func (p *Platform) CacheFlagsOK(flags int32) bool {
	return flags == p.CacheFlags || (p.AcceptPlainELF && flags == CacheFlagELF)
}

func debianDirs(triplet string) []string {
	return []string{"/lib/" + triplet, "/usr/lib/" + triplet, "/lib", "/usr/lib"}
}

func legacy(plat string) []string {
	if plat == "" {
		return []string{"tls"}
	}
	return []string{"tls/" + plat, "tls", plat}
}

// PlatformFor returns the loader conventions for an object's ABI (Debian's
// layout). Unknown machines get generic values: /lib and /usr/lib, no cache
// flags beyond plain ELF, no hwcap subdirectories.
func PlatformFor(class elf.Class, data elf.Data, machine elf.Machine) Platform {
	p := Platform{Class: class, Data: data, Machine: machine}
	set := func(loader, triplet, name string, flags int32, hwcaps []string) {
		p.Loader, p.Triplet, p.Name, p.CacheFlags, p.HWCaps = loader, triplet, name, flags, hwcaps
		p.Lib = "lib/" + triplet
		p.DefaultDirs = debianDirs(triplet)
		p.LegacySubdirs = legacy(name)
	}
	switch {
	case machine == elf.EM_X86_64 && class == elf.ELFCLASS64:
		set("/lib64/ld-linux-x86-64.so.2", "x86_64-linux-gnu", "x86_64", CacheFlagELFLibc6|CacheFlagX8664Lib64,
			[]string{"x86-64-v4", "x86-64-v3", "x86-64-v2"})
		// glibc 2.36 on x86_64 lists the "x86_64" hwcap string and the
		// AT_PLATFORM string, both "x86_64", after "tls".
		p.LegacySubdirs = []string{"tls/x86_64/x86_64", "tls/x86_64", "tls", "x86_64/x86_64", "x86_64"}
	case machine == elf.EM_X86_64 && class == elf.ELFCLASS32:
		set("/libx32/ld-linux-x32.so.2", "x86_64-linux-gnux32", "x86_64", CacheFlagELFLibc6|CacheFlagX8664LibX32,
			[]string{"x86-64-v4", "x86-64-v3", "x86-64-v2"})
	case machine == elf.EM_386:
		set("/lib/ld-linux.so.2", "i386-linux-gnu", "i686", CacheFlagELFLibc6, nil)
		p.AcceptPlainELF = true
		// glibc 2.36 i386: AT_PLATFORM i686 and the sse2 hwcap.
		p.LegacySubdirs = []string{"tls/i686/sse2", "tls/i686", "tls/sse2", "tls", "i686/sse2", "i686", "sse2"}
	case machine == elf.EM_AARCH64:
		set("/lib/ld-linux-aarch64.so.1", "aarch64-linux-gnu", "aarch64", CacheFlagELFLibc6|CacheFlagAArch64Lib64, nil)
	case machine == elf.EM_ARM:
		set("/lib/ld-linux-armhf.so.3", "arm-linux-gnueabihf", "v7l", CacheFlagELFLibc6|CacheFlagARMLibHF, nil)
	case machine == elf.EM_S390 && class == elf.ELFCLASS64:
		set("/lib/ld64.so.1", "s390x-linux-gnu", "z900", CacheFlagELFLibc6|CacheFlagS390Lib64, []string{"z16", "z15", "z14", "z13"})
	case machine == elf.EM_PPC64 && data == elf.ELFDATA2LSB:
		set("/lib64/ld64.so.2", "powerpc64le-linux-gnu", "power8", CacheFlagELFLibc6|CacheFlagPowerPCLib64, []string{"power10", "power9"})
	case machine == elf.EM_PPC64:
		set("/lib64/ld64.so.1", "powerpc64-linux-gnu", "power8", CacheFlagELFLibc6|CacheFlagPowerPCLib64, nil)
	case machine == elf.EM_RISCV && class == elf.ELFCLASS64:
		set("/lib/ld-linux-riscv64-lp64d.so.1", "riscv64-linux-gnu", "", CacheFlagELFLibc6|CacheFlagRISCVDouble, nil)
	case machine == elf.EM_LOONGARCH:
		set("/lib64/ld-linux-loongarch-lp64d.so.1", "loongarch64-linux-gnu", "loongarch", CacheFlagELFLibc6|CacheFlagLArchDouble, nil)
	case machine == elf.EM_SPARCV9:
		set("/lib64/ld-linux.so.2", "sparc64-linux-gnu", "sparc64", CacheFlagELFLibc6|CacheFlagSparcLib64, nil)
	case machine == elf.EM_MIPS && class == elf.ELFCLASS64:
		set("/lib64/ld.so.1", "mips64el-linux-gnuabi64", "mips", CacheFlagELFLibc6|CacheFlagMIPS64LibN64, nil)
	default:
		p.DefaultDirs = []string{"/lib", "/usr/lib"}
		p.Lib = "lib"
		p.CacheFlags = CacheFlagELFLibc6
		p.AcceptPlainELF = true
		p.LegacySubdirs = legacy("")
	}
	return p
}

// multilibFor adjusts p when the loader that will run lives in a biarch
// directory (Debian's libc6-i386 and libc6-x32 on amd64: /lib32, /libx32)
// rather than a multiarch one: the built-in directories and $LIB follow the
// loader. loaderReal is the interpreter's real path inside the root.
func multilibFor(p Platform, loaderReal string) Platform {
	for _, d := range []string{"lib32", "libx32"} {
		if strings.HasPrefix(loaderReal, "/"+d+"/") || strings.HasPrefix(loaderReal, "/usr/"+d+"/") {
			p.Lib = d
			p.DefaultDirs = []string{"/" + d, "/usr/" + d, "/lib", "/usr/lib"}
			return p
		}
	}
	return p
}

var (
	hostPlatformOnce sync.Once
	hostPlatform     Platform
)

// HostPlatform returns the conventions of the running machine's loader,
// with the glibc-hwcaps subdirectories cut to those the CPU supports (read
// from /proc/cpuinfo on x86_64; all are kept when it cannot be read).
func HostPlatform() Platform {
	hostPlatformOnce.Do(func() {
		m, c := elf.EM_X86_64, elf.ELFCLASS64
		switch runtime.GOARCH {
		case "arm64":
			m = elf.EM_AARCH64
		case "386":
			m, c = elf.EM_386, elf.ELFCLASS32
		case "arm":
			m, c = elf.EM_ARM, elf.ELFCLASS32
		case "s390x":
			m = elf.EM_S390
		case "ppc64le", "ppc64":
			m = elf.EM_PPC64
		case "riscv64":
			m = elf.EM_RISCV
		case "loong64":
			m = elf.EM_LOONGARCH
		}
		d := elf.ELFDATA2LSB
		if runtime.GOARCH == "s390x" || runtime.GOARCH == "ppc64" {
			d = elf.ELFDATA2MSB
		}
		hostPlatform = PlatformFor(c, d, m)
		if m == elf.EM_X86_64 && c == elf.ELFCLASS64 {
			if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
				hostPlatform.HWCaps = x86Levels(string(b))
			}
		}
	})
	p := hostPlatform
	p.HWCaps = append([]string(nil), p.HWCaps...)
	p.DefaultDirs = append([]string(nil), p.DefaultDirs...)
	p.LegacySubdirs = append([]string(nil), p.LegacySubdirs...)
	return p
}

// x86Levels returns the x86-64 microarchitecture levels a /proc/cpuinfo
// text supports, highest first, as glibc's glibc-hwcaps subdirectory names.
func x86Levels(cpuinfo string) []string {
	var flags map[string]bool
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(k) == "flags" {
			flags = map[string]bool{}
			for _, f := range strings.Fields(v) {
				flags[f] = true
			}
			break
		}
	}
	has := func(fs ...string) bool {
		for _, f := range fs {
			if !flags[f] {
				return false
			}
		}
		return true
	}
	var out []string
	v2 := has("cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3")
	v3 := v2 && has("avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave")
	v4 := v3 && has("avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl")
	if v4 {
		out = append(out, "x86-64-v4")
	}
	if v3 {
		out = append(out, "x86-64-v3")
	}
	if v2 {
		out = append(out, "x86-64-v2")
	}
	return out
}
