package service

import "strings"

// EscapeSystemd makes an argument survive systemd's ExecStart= parsing once kardianos has put
// it in double quotes (escaping only '"'): systemd would otherwise expand "%x" specifiers and
// "$VAR" environment references and read backslash escapes inside the quotes
// (systemd.service(5), "Command lines"; systemd.unit(5), "Specifiers"). A journal path such as
// /srv/100%/j.jsonl then reaches serve as written.
func EscapeSystemd(arg string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `%%`, `$`, `$$`).Replace(arg)
}
