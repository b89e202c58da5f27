package winstore_test

import (
	"crypto/sha1" //nolint:gosec // the thumbprint is SHA-1
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/mockdirector/mockdirector/internal/winstore"
)

var _ = Describe("ParseThumbprint", func() {
	const want = "A909502DD82AE41433E6F83886B00D4277A32A7B"

	DescribeTable("reads a thumbprint as a person pastes it",
		func(in string) {
			t, err := winstore.ParseThumbprint(in)
			Expect(err).NotTo(HaveOccurred())
			Expect(t.String()).To(Equal(want))
		},
		Entry("PowerShell (upper case, no separators)", want),
		Entry("certlm.msc (lower case, spaces)", "a9 09 50 2d d8 2a e4 14 33 e6 f8 38 86 b0 0d 42 77 a3 2a 7b"),
		Entry("certlm.msc with the invisible U+200E mark it copies along", "\u200ea9 09 50 2d d8 2a e4 14 33 e6 f8 38 86 b0 0d 42 77 a3 2a 7b"),
		Entry("openssl (colons)", "A9:09:50:2D:D8:2A:E4:14:33:E6:F8:38:86:B0:0D:42:77:A3:2A:7B"),
		Entry("mixed case, a trailing newline and a BOM", "\ufeffa909502dD82AE41433E6F83886B00D4277A32A7B\r\n"),
	)

	DescribeTable("refuses what is not a thumbprint, and says why",
		func(in, says string) {
			_, err := winstore.ParseThumbprint(in)
			Expect(err).To(MatchError(ContainSubstring(says)))
		},
		Entry("one digit short", want[:39], "39 hex digits, a thumbprint (SHA-1) has 40"),
		Entry("a SHA-256 fingerprint", strings.Repeat("AB", 32), "64 hex digits"),
		Entry("a letter that is not hex", "G"+want[1:], `'G' is not a hex digit`),
		Entry("empty", "", "0 hex digits"),
	)

	It("is the SHA-1 of the DER, printed as PowerShell's Thumbprint property", func() {
		c := newCA("Thumbprint Root")
		sum := sha1.Sum(c.Raw) //nolint:gosec // the thumbprint is SHA-1
		Expect(winstore.ThumbprintOf(c)).To(Equal(winstore.Thumbprint(sum)))
		Expect(winstore.ThumbprintOf(c).String()).To(MatchRegexp(`^[0-9A-F]{40}$`))
	})
})
