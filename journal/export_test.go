package journal

// SetWriteHook runs hook before every write(2) (nil: none); set it only while no Writer is in
// use.
func SetWriteHook(hook func(*Writer)) { testHookWrite = hook }

// Writes is the number of write(2) calls w made (one a line).
func Writes(w *Writer) int64 { return w.Writes() }

// Closing is whether Close has begun.
func Closing(w *Writer) bool { return w.closing.Load() }
