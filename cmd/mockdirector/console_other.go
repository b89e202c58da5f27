//go:build !windows

package main

import "io"

// ansiConsole is isTerminal's answer where every terminal obeys ANSI escape sequences.
func ansiConsole(w io.Writer) bool { return isTerminal(w) }
