//go:build !linux && !windows

package service

import (
	"errors"
	"os"
	"path/filepath"

	kservice "github.com/kardianos/service"
)

const systemdEscapes = false

var errUnsupported = errors.New("mockdirector service runs on Linux (systemd) and Windows; here run mockdirector serve directly")

// DataDir is where a service would keep its data (there is no service on this platform).
func DataDir() string { return filepath.Join(os.TempDir(), "mockdirector") }

// Where says where the service's definition lives, for messages.
func Where(name string) string { return name }

// LogHint is the command that shows a service's log.
func LogHint(string) string { return "" }

// Available says that this platform has no service support here.
func Available() error { return errUnsupported }

// Elevated says that this platform has no service support here.
func Elevated() error { return errUnsupported }

// Installed says that this platform has no service support here.
func Installed() ([]string, error) { return nil, errUnsupported }

func system() (kservice.System, error) { return nil, errUnsupported }

func options() kservice.KeyValue { return kservice.KeyValue{} }

func runWaitOption(kservice.KeyValue, *Program) {}
