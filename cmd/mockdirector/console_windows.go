//go:build windows

package main

import (
	"io"
	"os"

	"golang.org/x/sys/windows"
)

// ansiConsole reports whether w is a Windows console that obeys ANSI escape sequences (colours,
// erase-line), turning on virtual terminal processing when the console has it off (Windows 10
// 1511 and later, Windows Server 2016 and later). A console without it (Server 2012 R2) and
// anything that is not a console (NUL is a character device too, a pipe, a file) get none.
func ansiConsole(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	h := windows.Handle(f.Fd())
	var mode uint32
	if err := windows.GetConsoleMode(h, &mode); err != nil {
		return false
	}
	if mode&windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING != 0 {
		return true
	}
	return windows.SetConsoleMode(h, mode|windows.ENABLE_VIRTUAL_TERMINAL_PROCESSING) == nil
}
