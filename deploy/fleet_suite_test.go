package fleet_test

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestFleet(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Log("fleet e2e skipped: not root (sudo make fleet-e2e runs it); the syntax checks still run")
	}
	RegisterFailHandler(Fail)
	RunSpecs(t, "Ansible fleet (deploy/ansible)")
}
