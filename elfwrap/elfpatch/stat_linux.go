package elfpatch

import "syscall"

// changeTimes returns a file's modification and change times, which a
// write to it changes (checked before writing what was planned from an
// earlier read).
func changeTimes(st *syscall.Stat_t) [2]syscall.Timespec {
	return [2]syscall.Timespec{st.Mtim, st.Ctim}
}
