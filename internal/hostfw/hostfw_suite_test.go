package hostfw_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestHostfw(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "hostfw")
}
