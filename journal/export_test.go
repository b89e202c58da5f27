package journal

// SetWriteHook runs hook before every batch's write(2) (nil: none); set it only while no
// Writer is in use.
func SetWriteHook(hook func(*Writer)) { testHookWrite = hook }

// Queued is the number of events waiting for the batch being written.
func Queued(w *Writer) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cur.n
}

// Closing is whether Close has begun.
func Closing(w *Writer) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}
