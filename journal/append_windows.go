package journal

import "os"

// appender appends to the journal through the os.File: the handle has FILE_APPEND_DATA and not
// FILE_WRITE_DATA (openAppend), so each WriteFile lands whole at the end of the file.
type appender struct{ f *os.File }

func newAppender(f *os.File) appender { return appender{f: f} }

func (a appender) append(b []byte) (int, error) { return a.f.Write(b) }
