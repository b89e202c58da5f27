// Package service runs mockdirector serve under the host's service manager (systemd on Linux,
// the Windows service control manager) through github.com/kardianos/service: the service's
// name, its data directory, the unit or service it registers, the list of those installed, and
// the Start/Stop protocol that runs serve with a context cancelled on Stop.
//
// The command line (flags, what is validated before an install, exit codes) stays in
// cmd/mockdirector; this package never exits the process.
package service

import (
	"errors"
	"fmt"
	"strings"

	kservice "github.com/kardianos/service"
)

// Prefix begins the name of every service this package installs, so Installed can find them
// among the host's others.
const Prefix = "mockdirector-"

// Name is the service name of one member of a role: mockdirector-ROLE-MEMBER, MEMBER being the
// first label of the member's FQDN (dir01.contoso.local: dir01), lowercase. Two members on
// one host get two services.
func Name(role, member string) string {
	short, _, _ := strings.Cut(member, ".")
	return Prefix + sanitize(role) + "-" + sanitize(short)
}

// sanitize keeps what a systemd unit name and a Windows service name both take.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteRune('_')
		}
	}
	return b.String()
}

// Spec is what one installed service runs.
type Spec struct {
	// Name is the service name (Name(role, member)).
	Name string
	// Role and Member say what it stands in for, in the description the manager shows.
	Role, Member string
	// Executable is the mockdirector binary; empty means this one.
	Executable string
	// Args follow the executable: "service", "run", and serve's flags.
	Args []string
	// User is the Linux account the unit runs as; empty is root. Not used on Windows
	// (LocalSystem).
	User string
	// DataDir is the working directory and the home of the certificates and journal.
	DataDir string
}

// Status is what the service manager says of one service.
type Status string

// The states Status reports.
const (
	StatusRunning Status = "running"
	StatusStopped Status = "stopped"
	// StatusFailed is systemd's "failed": not running, its last run ended in an error and
	// systemd is not restarting it (start starts it again; journalctl -u NAME says why).
	StatusFailed       Status = "failed"
	StatusNotInstalled Status = "not installed"
)

// ErrNotInstalled is returned by the operations that need an installed service.
var ErrNotInstalled = errors.New("not installed")

// Manager controls one service.
type Manager struct {
	spec Spec
	prg  kservice.Interface
	svc  kservice.Service
}

// NewManager is the Manager of the service spec describes, for install, uninstall, start, stop
// and status. prg runs when the process is the service itself (Run); nil when it is not.
func NewManager(spec Spec, prg kservice.Interface) (*Manager, error) {
	if prg == nil {
		prg = idle{}
	}
	sys, err := system()
	if err != nil {
		return nil, err
	}
	cfg := config(spec)
	if p, ok := prg.(*Program); ok {
		runWaitOption(cfg.Option, p)
	}
	s, err := sys.New(prg, cfg)
	if err != nil {
		return nil, fmt.Errorf("service %s: %w", spec.Name, err)
	}
	return &Manager{spec: spec, prg: prg, svc: s}, nil
}

// idle is the program of a Manager that only installs or controls.
type idle struct{}

func (idle) Start(kservice.Service) error { return nil }
func (idle) Stop(kservice.Service) error  { return nil }

// config is the kardianos configuration of spec, with this package's systemd unit template
// and Windows recovery options.
func config(spec Spec) *kservice.Config {
	args := spec.Args
	if systemdEscapes {
		args = make([]string, len(spec.Args))
		for i, a := range spec.Args {
			args[i] = EscapeSystemd(a)
		}
	}
	return &kservice.Config{
		Name:             spec.Name,
		DisplayName:      "mockdirector " + spec.Role + " " + spec.Member,
		Description:      fmt.Sprintf("mockdirector serve --role %s --member %s: stands in for the Lync Server 2013 %s on every port of the firewall table", spec.Role, spec.Member, spec.Role),
		Executable:       spec.Executable,
		Arguments:        args,
		UserName:         spec.User,
		WorkingDirectory: spec.DataDir,
		Option:           options(),
	}
}

// Name is the service name.
func (m *Manager) Name() string { return m.spec.Name }

// Install registers the service (it does not start it).
func (m *Manager) Install() error {
	if err := m.svc.Install(); err != nil {
		return fmt.Errorf("install %s: %w", m.spec.Name, err)
	}
	return nil
}

// Uninstall stops the service when it runs and removes it.
func (m *Manager) Uninstall() error {
	st, err := m.Status()
	if err != nil {
		return err
	}
	if st == StatusNotInstalled {
		return fmt.Errorf("uninstall %s: %w", m.spec.Name, ErrNotInstalled)
	}
	if st == StatusRunning {
		if err := m.svc.Stop(); err != nil {
			return fmt.Errorf("stop %s before uninstalling: %w", m.spec.Name, err)
		}
	}
	if err := m.svc.Uninstall(); err != nil {
		return fmt.Errorf("uninstall %s: %w", m.spec.Name, err)
	}
	return nil
}

// Start starts the installed service.
func (m *Manager) Start() error {
	if err := m.needInstalled("start"); err != nil {
		return err
	}
	if err := m.svc.Start(); err != nil {
		return fmt.Errorf("start %s: %w", m.spec.Name, err)
	}
	return nil
}

// Stop stops the service and returns once the manager says it stopped.
func (m *Manager) Stop() error {
	if err := m.needInstalled("stop"); err != nil {
		return err
	}
	if err := m.svc.Stop(); err != nil {
		return fmt.Errorf("stop %s: %w", m.spec.Name, err)
	}
	return nil
}

func (m *Manager) needInstalled(op string) error {
	st, err := m.Status()
	if err != nil {
		return err
	}
	if st == StatusNotInstalled {
		return fmt.Errorf("%s %s: %w", op, m.spec.Name, ErrNotInstalled)
	}
	return nil
}

// Status is running, stopped, failed (systemd) or not installed.
func (m *Manager) Status() (Status, error) {
	st, err := m.svc.Status()
	switch {
	case errors.Is(err, kservice.ErrNotInstalled):
		return StatusNotInstalled, nil
	case err != nil && strings.Contains(err.Error(), "failed state"): // kardianos' words for systemd's "failed"
		return StatusFailed, nil
	case err != nil:
		return "", fmt.Errorf("status of %s: %w", m.spec.Name, err)
	case st == kservice.StatusRunning:
		return StatusRunning, nil
	case st == kservice.StatusStopped:
		return StatusStopped, nil
	}
	return "", fmt.Errorf("status of %s: the service manager gave no state", m.spec.Name)
}

// Logger is the service's system log (the Windows event log, under the service's name as its
// source) when the service manager started the process, else the console.
func (m *Manager) Logger() (kservice.Logger, error) { return m.svc.Logger(nil) }

// Run runs the program under kardianos' Run: on Linux until SIGTERM or SIGINT (or the
// Program's end, by the RunWait option); on Windows, where Dispatch serves the SCM, as a
// console program until Ctrl-C.
func (m *Manager) Run() error { return m.svc.Run() }

// Interactive says whether the process was started by a person (or a test) rather than by
// the service manager.
func Interactive() bool { return kservice.Interactive() }
