//go:build windows

package certs_test

import (
	"os"
	"path/filepath"
	"unsafe"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"golang.org/x/sys/windows"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/internal/testdir"
	"github.com/mockdirector/mockdirector/topology"
)

// allowedSIDs reads a file's DACL: whether it is protected from inheritance, and the SIDs of
// its access-allowed entries (any other entry type fails the spec).
func allowedSIDs(path string) (protected bool, sids []string) {
	sd, err := windows.GetNamedSecurityInfo(path, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION)
	Expect(err).NotTo(HaveOccurred())
	ctl, _, err := sd.Control()
	Expect(err).NotTo(HaveOccurred())
	dacl, _, err := sd.DACL()
	Expect(err).NotTo(HaveOccurred())
	Expect(dacl).NotTo(BeNil(), "%s has a NULL DACL: everyone may read it", path)
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		Expect(windows.GetAce(dacl, i, &ace)).To(Succeed())
		Expect(ace.Header.AceType).To(BeEquivalentTo(windows.ACCESS_ALLOWED_ACE_TYPE))
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		sids = append(sids, sid.String())
	}
	return ctl&windows.SE_DACL_PROTECTED != 0, sids
}

var _ = Describe("private files on Windows", func() {
	It("gives every key an ACL of SYSTEM, Administrators and the user who made it, nothing inherited", func() {
		dir := filepath.Join(testdir.New(), "certs")
		_, err := certs.Ensure(topology.Default(), certs.Options{Dir: dir})
		Expect(err).NotTo(HaveOccurred())

		system, err := windows.CreateWellKnownSid(windows.WinLocalSystemSid)
		Expect(err).NotTo(HaveOccurred())
		admins, err := windows.CreateWellKnownSid(windows.WinBuiltinAdministratorsSid)
		Expect(err).NotTo(HaveOccurred())
		user, err := windows.GetCurrentProcessToken().GetTokenUser()
		Expect(err).NotTo(HaveOccurred())
		want := []string{system.String(), admins.String(), user.User.Sid.String()}

		keys, err := filepath.Glob(filepath.Join(dir, "*.key"))
		Expect(err).NotTo(HaveOccurred())
		Expect(keys).To(ContainElement(filepath.Join(dir, certs.CAKeyFile)))
		for _, k := range keys {
			_, err := os.ReadFile(k) // the user who made it can still read it
			Expect(err).NotTo(HaveOccurred())
		}
		if testdir.UnderWine() {
			// Wine accepts SetNamedSecurityInfo but keeps no file DACL: it answers SYSTEM, the
			// user and Everyone for every file. What is set is checked in memory (keyacl_internal_
			// windows_test.go); the file's own ACL only on Windows.
			Skip("Wine keeps no file DACLs: the key's ACL on disk is checked on Windows only")
		}
		for _, k := range keys {
			protected, sids := allowedSIDs(k)
			Expect(protected).To(BeTrue(), "%s inherits its directory's entries", k)
			Expect(sids).To(ConsistOf(want), "%s", k)
		}
		// Certificates are public: they keep the directory's inherited ACL.
		protected, _ := allowedSIDs(filepath.Join(dir, certs.CACertFile))
		Expect(protected).To(BeFalse())
	})
})
