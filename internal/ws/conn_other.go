//go:build !unix

package ws

import "errors"

// rawIO says whether a connection with a descriptor is read and written
// through it: elsewhere (Windows) every connection is served through its
// net.Conn, and these are never called.
const rawIO = false

func sysRead(uintptr, []byte) (int, error) { return 0, errors.ErrUnsupported }

func sysWrite(uintptr, []byte) (int, error) { return 0, errors.ErrUnsupported }
