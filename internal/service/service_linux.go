package service

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	kservice "github.com/kardianos/service"
)

// systemdEscapes: ExecStart= arguments need EscapeSystemd on Linux.
const systemdEscapes = true

// unitDir is where kardianos writes a system unit (fixed in kardianos: configPath).
const unitDir = "/etc/systemd/system"

// stateDirName is the unit's StateDirectory=: systemd makes /var/lib/mockdirector before
// each start (owned by User= when one is set) and passes it as $STATE_DIRECTORY.
const stateDirName = "mockdirector"

// DataDir is where a service keeps its certificates and journal and runs: $STATE_DIRECTORY
// when systemd gives one (the unit's StateDirectory=), else /var/lib/mockdirector.
func DataDir() string {
	if d, _, _ := strings.Cut(os.Getenv("STATE_DIRECTORY"), ":"); d != "" {
		return d
	}
	return filepath.Join("/var/lib", stateDirName)
}

// UnitPath is the unit file of a service name.
func UnitPath(name string) string { return filepath.Join(unitDir, name+".service") }

// Where says where the service's definition lives, for messages.
func Where(name string) string { return UnitPath(name) }

// LogHint is the command that shows a service's log.
func LogHint(name string) string { return "journalctl -u " + name + " -f" }

// Available says whether the host's service manager can take a service: systemd must be the
// running init. The test is sd_booted(3)'s: /run/systemd/system exists only when systemd is
// PID 1. Without it kardianos would fall back to a System V init script, which is not what
// the README promises.
func Available() error {
	if fi, err := os.Stat("/run/systemd/system"); err == nil && fi.IsDir() {
		return nil
	}
	pid1 := "unknown"
	if b, err := os.ReadFile("/proc/1/comm"); err == nil {
		pid1 = strings.TrimSpace(string(b))
	}
	return fmt.Errorf("systemd is not running (PID 1 is %s, no /run/systemd/system): run mockdirector serve directly (under nohup, tmux or screen), or install the service on a host booted with systemd", pid1)
}

// Elevated says whether the process may install and control system services.
func Elevated() error {
	if os.Geteuid() == 0 {
		return nil
	}
	return errors.New("needs root: run it with sudo (sudo mockdirector service ...)")
}

// Installed lists the mockdirector services installed on the host, by name.
func Installed() ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(unitDir, Prefix+"*.service"))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(paths))
	for _, p := range paths {
		names = append(names, strings.TrimSuffix(filepath.Base(p), ".service"))
	}
	sort.Strings(names)
	return names, nil
}

// system is kardianos' systemd backend, chosen by name rather than detected, so a host
// without systemd never gets an init script instead (Available says why first).
func system() (kservice.System, error) {
	for _, s := range kservice.AvailableSystems() {
		if s.String() == "linux-systemd" {
			return s, nil
		}
	}
	return nil, errors.New("kardianos/service has no linux-systemd backend")
}

// options are the kardianos options of the unit: the template below, restart on failure.
func options() kservice.KeyValue {
	return kservice.KeyValue{
		"SystemdScript": systemdUnit,
		"Restart":       "on-failure",
	}
}

// runWaitOption sets kardianos' RunWait of a running service: return on SIGTERM or SIGINT, as
// kardianos does by default, and also when serve has ended on its own, so a failed serve
// exits with its code (and systemd restarts it) instead of hanging as "active".
func runWaitOption(kv kservice.KeyValue, p *Program) {
	kv["RunWait"] = func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
		defer signal.Stop(sig)
		select {
		case <-sig:
		case <-p.Done():
		}
	}
}

// systemdUnit is the unit kardianos renders (its own small template engine: {{Key}},
// {{Key | fn}}, {{if}}, {{range}}; the keys are those of kardianos' built-in systemdScript).
// Against the built-in one it adds:
//   - After=/Wants=network-online.target: serve binds the member's address, which must exist;
//   - StateDirectory=mockdirector (0750): systemd makes /var/lib/mockdirector, owned by User=;
//     serve finds it in $STATE_DIRECTORY;
//   - AmbientCapabilities=CAP_NET_BIND_SERVICE with User=: the real ports (80, 443, 444) are
//     below 1024;
//   - Restart=on-failure every 30 s with no start limit (StartLimitIntervalSec=0): a port that
//     IIS or another process holds for a while is retried for the whole staging window, each
//     failure in the journal; a stop asked for (exit 0) is not restarted;
//   - no EnvironmentFile=/etc/sysconfig/NAME: every setting is on the ExecStart= line, where
//     systemctl cat shows it.
const systemdUnit = `[Unit]
Description={{Description}}
ConditionFileIsExecutable={{Path | cmdEscape}}
After=network-online.target
Wants=network-online.target
StartLimitIntervalSec=0
{{range Dependencies}}{{.}}
{{end}}
[Service]
Type=simple
ExecStart={{Path | cmdEscape}}{{range Arguments}} {{. | cmd}}{{end}}
{{if WorkingDirectory}}WorkingDirectory={{WorkingDirectory | cmdEscape}}
{{end}}StateDirectory=` + stateDirName + `
StateDirectoryMode=0750
{{if UserName}}User={{UserName}}
AmbientCapabilities=CAP_NET_BIND_SERVICE
{{end}}{{if Restart}}Restart={{Restart}}
{{end}}RestartSec=30
TimeoutStopSec=60

[Install]
WantedBy=multi-user.target
`
