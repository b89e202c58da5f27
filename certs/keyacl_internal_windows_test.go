//go:build windows

package certs

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/windows"
)

// TestPrivateACL reads back the DACL restrictFile sets: three access-allowed entries with full
// control, for SYSTEM, Administrators and the current user, none inheritable. It runs under
// Wine too, which builds ACLs in memory as Windows does (but does not keep them on files).
func TestPrivateACL(t *testing.T) {
	acl, err := privateACL()
	if err != nil {
		t.Fatal(err)
	}
	system, _ := windows.CreateWellKnownSid(windows.WinLocalSystemSid)
	admins, _ := windows.CreateWellKnownSid(windows.WinBuiltinAdministratorsSid)
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{system.String(), admins.String(), user.User.Sid.String()}
	if int(acl.AceCount) != len(want) {
		t.Fatalf("%d entries, want %d (%v)", acl.AceCount, len(want), want)
	}
	for i := range uint32(acl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(acl, i, &ace); err != nil {
			t.Fatal(err)
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart)).String()
		if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE || ace.Header.AceFlags != 0 {
			t.Errorf("entry %d (%s): type %d flags %#x, want access-allowed, not inherited", i, sid, ace.Header.AceType, ace.Header.AceFlags)
		}
		if ace.Mask&windows.GENERIC_ALL == 0 && ace.Mask&0x1f01ff != 0x1f01ff { // GENERIC_ALL or FILE_ALL_ACCESS
			t.Errorf("entry %d (%s): mask %#x, want full control", i, sid, ace.Mask)
		}
		if sid != want[i] {
			t.Errorf("entry %d: %s, want %s", i, sid, want[i])
		}
	}
}
