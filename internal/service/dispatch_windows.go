package service

import (
	"errors"

	kservice "github.com/kardianos/service"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
)

// Dispatch runs the Program as the SCM's service when the SCM started this process, and says
// whether it did. onStart runs once the SCM has connected, before the Program starts (to send
// serve's output to the event log). ran is false, with no error, when the process was not
// started by the SCM (a console): then Run serves it as kardianos does.
//
// Why not kardianos' Run alone: it decides "service or console" once, at init, by the parent
// process (session 0 and named services.exe, x/sys svc.IsWindowsService). Wine's services.exe
// runs in another session, so under Wine kardianos waits for Ctrl-C and the SCM's start times
// out (ERROR_SERVICE_REQUEST_TIMEOUT). Asking the SCM itself, StartServiceCtrlDispatcher,
// which fails at once with ERROR_FAILED_SERVICE_CONTROLLER_CONNECT in a console (its
// documented contract), is right on both, and is the same SCM protocol kardianos' Execute
// speaks (start pending, running accepting stop and shutdown, stop pending, stopped).
func (m *Manager) Dispatch(onStart func()) (ran bool, err error) {
	p, ok := m.prg.(*Program)
	if !ok {
		return false, errors.New("dispatch: the service has no Program")
	}
	h := &scmHandler{p: p, onStart: onStart}
	err = svc.Run(m.spec.Name, h)
	if errors.Is(err, windows.ERROR_FAILED_SERVICE_CONTROLLER_CONNECT) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	return true, h.err
}

// scmHandler answers the SCM's requests for a Program.
type scmHandler struct {
	p       *Program
	onStart func()
	err     error
}

// Execute is called by svc.Run on its own goroutine once the SCM has connected.
func (h *scmHandler) Execute(_ []string, r <-chan svc.ChangeRequest, changes chan<- svc.Status) (bool, uint32) {
	changes <- svc.Status{State: svc.StartPending}
	if h.onStart != nil {
		h.onStart()
	}
	if err := h.p.Start(nil); err != nil {
		h.err = err
		return true, 1
	}
	changes <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for c := range r {
		switch c.Cmd {
		case svc.Interrogate:
			changes <- c.CurrentStatus
		case svc.Stop, svc.Shutdown:
			// serve drains and syncs its journal: tell the SCM how long that may take.
			changes <- svc.Status{State: svc.StopPending, WaitHint: uint32(h.p.stopTimeout.Milliseconds())}
			if err := h.p.Stop(nil); err != nil {
				h.err = err
				return true, 2
			}
			if err := h.p.Err(); err != nil {
				h.err = err
				return true, 1
			}
			return false, 0
		}
	}
	return false, 0
}

// SystemLogger is the service's Application event log source (registered by Install).
func (m *Manager) SystemLogger() (kservice.Logger, error) { return m.svc.SystemLogger(nil) }
