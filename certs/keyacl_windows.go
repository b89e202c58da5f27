//go:build windows

package certs

import (
	"fmt"
	"io/fs"

	"golang.org/x/sys/windows"
)

// restrictFile gives a private file (mode without group or other bits: keys, PFX) a protected
// DACL on Windows, where 0600 means nothing to NTFS: full control for SYSTEM, BUILTIN\
// Administrators and the user who wrote it, and no inherited entries (so the directory's
// "Users: read" does not reach the key). The user is kept so that a non-elevated run (UAC
// strips Administrators from its token) can still read the key it made. Public files keep the
// directory's inherited ACL.
func restrictFile(path string, mode fs.FileMode) error {
	if mode&0o077 != 0 {
		return nil
	}
	acl, err := privateACL()
	if err != nil {
		return fmt.Errorf("restrict %s: %w", path, err)
	}
	err = windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, acl, nil)
	if err != nil {
		return fmt.Errorf("restrict %s to SYSTEM, Administrators and its owner: %w", path, err)
	}
	return nil
}

// privateFileSIDs are the SIDs a private file's DACL grants, in order: SYSTEM, Administrators,
// the current user.
func privateFileSIDs() ([]*windows.SID, error) {
	system, err := windows.CreateWellKnownSid(windows.WinLocalSystemSid)
	if err != nil {
		return nil, err
	}
	admins, err := windows.CreateWellKnownSid(windows.WinBuiltinAdministratorsSid)
	if err != nil {
		return nil, err
	}
	user, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("current user: %w", err)
	}
	return []*windows.SID{system, admins, user.User.Sid}, nil
}

func privateACL() (*windows.ACL, error) {
	sids, err := privateFileSIDs()
	if err != nil {
		return nil, err
	}
	var entries []windows.EXPLICIT_ACCESS
	for _, sid := range sids {
		entries = append(entries, windows.EXPLICIT_ACCESS{
			AccessPermissions: windows.GENERIC_ALL,
			AccessMode:        windows.GRANT_ACCESS,
			Inheritance:       windows.NO_INHERITANCE,
			Trustee: windows.TRUSTEE{
				TrusteeForm:  windows.TRUSTEE_IS_SID,
				TrusteeType:  windows.TRUSTEE_IS_UNKNOWN,
				TrusteeValue: windows.TrusteeValueFromSID(sid),
			},
		})
	}
	return windows.ACLFromEntries(entries, nil)
}
