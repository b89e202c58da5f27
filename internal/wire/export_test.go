package wire

// IdentityFast exposes whether AppendJSON uses its own encoder, for the tests.
func IdentityFast() bool { return identityFast }
