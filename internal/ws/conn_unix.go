//go:build unix

package ws

import "syscall"

// rawIO says whether a connection with a descriptor is read and written
// through it: on Unix, non-blocking reads and writes on the descriptor let
// a socket wait for data without holding a buffer.
const rawIO = true

func sysRead(fd uintptr, b []byte) (int, error) { return syscall.Read(int(fd), b) }

func sysWrite(fd uintptr, b []byte) (int, error) { return syscall.Write(int(fd), b) }
