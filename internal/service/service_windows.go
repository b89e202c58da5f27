package service

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	kservice "github.com/kardianos/service"
	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc/mgr"
)

// systemdEscapes: Windows arguments are quoted by x/sys/windows/svc/mgr (EscapeArg).
const systemdEscapes = false

// DataDir is where a service keeps its certificates and journal and runs:
// %ProgramData%\mockdirector.
func DataDir() string {
	pd := os.Getenv("ProgramData")
	if pd == "" {
		pd = `C:\ProgramData`
	}
	return filepath.Join(pd, "mockdirector")
}

// Where says where the service's definition lives, for messages.
func Where(name string) string {
	return `HKLM\SYSTEM\CurrentControlSet\Services\` + name
}

// LogHint is the command that shows a service's log.
func LogHint(name string) string {
	return "Get-WinEvent -FilterHashtable @{LogName='Application'; ProviderName='" + name + "'} -MaxEvents 50"
}

// Available says whether the host's service manager can take a service: on Windows the SCM
// always can.
func Available() error { return nil }

// Elevated says whether the process may install and control services: the token must be
// elevated (an Administrator's UAC-filtered token is not).
func Elevated() error {
	if windows.GetCurrentProcessToken().IsElevated() {
		return nil
	}
	return errors.New("needs Administrator: run it from an elevated PowerShell (right-click PowerShell, Run as administrator)")
}

// Installed lists the mockdirector services installed on the host, by name (the SCM's
// service list, read with connect and enumerate rights only).
func Installed() ([]string, error) {
	h, err := windows.OpenSCManager(nil, nil, windows.SC_MANAGER_CONNECT|windows.SC_MANAGER_ENUMERATE_SERVICE)
	if err != nil {
		return nil, fmt.Errorf("open the service control manager: %w", err)
	}
	m := &mgr.Mgr{Handle: h}
	defer m.Disconnect()
	all, err := m.ListServices()
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	var names []string
	for _, n := range all {
		if strings.HasPrefix(strings.ToLower(n), Prefix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names, nil
}

// system is kardianos' Windows backend.
func system() (kservice.System, error) {
	if s := kservice.ChosenSystem(); s != nil {
		return s, nil
	}
	return nil, errors.New("kardianos/service found no Windows service manager")
}

// options of the Windows service: automatic start; on a crash or an unexpected exit (serve
// exits with its code when it cannot bind), restart after 30 s, the last action repeating so
// the restarts go on through the staging window, the failure count reset after a day. Not
// DelayedAutoStart: Wine's SCM refuses SERVICE_CONFIG_DELAYED_AUTO_START_INFO ("Invalid
// level"), which would leave make windows unable to install at all, and a start before the
// member's address is up is retried by the recovery action anyway.
func options() kservice.KeyValue {
	return kservice.KeyValue{
		"StartType":              "automatic",
		"OnFailure":              "restart",
		"OnFailureDelayDuration": "30s",
		"OnFailureResetPeriod":   86400,
	}
}

// runWaitOption: kardianos' Windows Run waits on the SCM, not on an option.
func runWaitOption(kservice.KeyValue, *Program) {}
