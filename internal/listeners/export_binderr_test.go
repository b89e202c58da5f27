package listeners

// BindCause names the causes of a failed bind for the advice tests.
var BindCause = map[string]bindCause{"in-use": bindInUse, "denied": bindDenied, "not-avail": bindNotAvail, "other": bindOther}

// WindowsBindAdvice and UnixBindAdvice are the advice texts, testable on every platform.
var (
	WindowsBindAdvice = windowsBindAdvice
	UnixBindAdvice    = unixBindAdvice
)
