package main

import (
	"os"
	"testing"
)

// /dev/null is a character device, not a terminal: no colours or progress lines go to it.
func TestIsTerminalDevNull(t *testing.T) {
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Fatalf("%s counts as a terminal", os.DevNull)
	}
}
