package roleprofile_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestRoleProfile(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "roleprofile")
}
