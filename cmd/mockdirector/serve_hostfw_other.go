//go:build !unix

package main

// stopOnHangup does nothing where there is no SIGHUP. On Windows, closing the console sends
// CTRL_CLOSE_EVENT, which Go delivers as SIGTERM, which serve stops on already.
func stopOnHangup() func() { return func() {} }
