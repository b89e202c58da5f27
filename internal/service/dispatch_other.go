//go:build !windows

package service

import kservice "github.com/kardianos/service"

// Dispatch is Windows' (the SCM's dispatcher); elsewhere it never runs the Program.
func (m *Manager) Dispatch(func()) (bool, error) { return false, nil }

// SystemLogger is the service's system log (syslog; journald takes stdout and stderr).
func (m *Manager) SystemLogger() (kservice.Logger, error) { return m.svc.SystemLogger(nil) }
