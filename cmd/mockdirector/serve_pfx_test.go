package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveCertPassword(t *testing.T) {
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good, crlf, empty := file("good", "s3cret\nignored\n"), file("crlf", "s3cret\r\n"), file("empty", "\nx\n")
	for _, c := range []struct {
		name            string
		flagSet         bool
		flag, file, env string
		want, wantErr   string
	}{
		{name: "flag", flagSet: true, flag: "f", env: "e", want: "f"},
		{name: "empty flag set on purpose wins over the environment", flagSet: true, env: "e", want: ""},
		{name: "file first line", file: good, env: "e", want: "s3cret"},
		{name: "file with CRLF", file: crlf, want: "s3cret"},
		{name: "environment", env: "e", want: "e"},
		{name: "nothing", want: ""},
		{name: "both flags", flagSet: true, flag: "f", file: good, wantErr: "--cert-password and --cert-password-file both"},
		{name: "missing file", file: filepath.Join(dir, "none"), wantErr: "--cert-password-file: open"},
		{name: "empty first line", file: empty, wantErr: "the first line is empty"},
	} {
		got, err := resolveCertPassword(c.flagSet, c.flag, c.file, c.env)
		switch {
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.wantErr)
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr == "" && got != c.want:
			t.Errorf("%s: password %q, want %q", c.name, got, c.want)
		}
	}
}
