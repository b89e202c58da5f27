package listeners

// IdentityFast reports whether Identity.AppendJSON uses its own encoder.
func IdentityFast() bool { return identityFast }
