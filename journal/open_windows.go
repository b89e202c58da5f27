package journal

import (
	"os"

	"golang.org/x/sys/windows"
)

// openAppend opens (or creates) the journal for appending. os.OpenFile shares a file for
// reading and writing but not for deletion, so Windows refuses to rename it while it is open,
// and rotation renames the live file before it opens the next: FILE_SHARE_DELETE allows that.
// The access rights are the ones Go's own O_APPEND asks for (syscall.Open): everything
// GENERIC_WRITE grants but FILE_WRITE_DATA, so every write appends and FlushFileBuffers works.
func openAppend(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	const access = windows.FILE_APPEND_DATA | windows.FILE_WRITE_ATTRIBUTES | windows.FILE_WRITE_EA |
		windows.STANDARD_RIGHTS_WRITE | windows.SYNCHRONIZE | windows.FILE_READ_ATTRIBUTES
	h, err := windows.CreateFile(p, access,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil,
		windows.OPEN_ALWAYS, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// openRead opens a journal file for reading, sharing it for deletion too (os.Open does not): a
// reader holds a rotated set open while the writer renames the live file and prunes the oldest.
func openRead(path string) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, err
	}
	h, err := windows.CreateFile(p, windows.GENERIC_READ,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE, nil,
		windows.OPEN_EXISTING, windows.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(h), path), nil
}

// syncDir is nothing on Windows: a directory cannot be flushed there (FlushFileBuffers on a
// directory handle is refused with access denied), and NTFS journals its own metadata, the
// renames of rotation included.
func syncDir(string) error { return nil }
