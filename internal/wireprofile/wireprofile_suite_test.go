package wireprofile_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestWireprofile(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "wireprofile")
}
