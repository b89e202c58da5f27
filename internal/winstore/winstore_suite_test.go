package winstore_test

import (
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

func TestWinstore(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "internal/winstore")
}
