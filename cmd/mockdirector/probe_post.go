package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/mockdirector/mockdirector/certs"
	"github.com/mockdirector/mockdirector/probe"
)

// postTokenEnv carries probe --post's token out of the process list, as $MOCKDIRECTOR_ADMIN_TOKEN
// does for serve's.
const postTokenEnv = "MOCKDIRECTOR_POST_TOKEN"

// postFlags are probe's --post flags: results posted live to a mock's admin API.
type postFlags struct {
	url, tokenFile, ca string
}

func addPostFlags(fl *pflag.FlagSet, f *postFlags) {
	fl.StringVar(&f.url, "post", "", "post the results live (every second) to a mock's admin: https://HOST:9180/api/probe (serve --admin); a failed post changes no verdict")
	fl.StringVar(&f.tokenFile, "post-token-file", "", "read the admin's token for --post from FILE (default: $"+postTokenEnv+")")
	fl.StringVar(&f.ca, "post-ca", "", "PEM CA bundle the admin's HTTPS certificate must chain to (default: --ca, else the --certs CA)")
}

// postToken is the token of --post-token-file, else of the environment.
func (f postFlags) token() (string, error) {
	if f.tokenFile == "" {
		return strings.TrimSpace(os.Getenv(postTokenEnv)), nil
	}
	return readSecretFile("--post-token-file", f.tokenFile, true, "the file is empty (put the admin's token on its first line)")
}

// startPost starts posting, or returns nil without --post. The CA of an https admin is --post-ca,
// else the prober's --ca, else the --certs directory's.
func startPost(f postFlags, pf probeFlags, scenario string, started time.Time, errOut io.Writer) (*probe.Poster, error) {
	if f.url == "" {
		if f.tokenFile != "" || f.ca != "" {
			return nil, usageErr(errors.New("--post-token-file and --post-ca need --post URL"))
		}
		return nil, nil
	}
	u, err := probe.CheckPostURL(f.url)
	if err != nil {
		return nil, usageErr(err)
	}
	token, err := f.token()
	if err != nil {
		return nil, usageErr(err)
	}
	if token == "" {
		return nil, usageErr(fmt.Errorf("--post needs the admin's token: --post-token-file FILE or $%s (serve --admin keeps it in mockdirector-admin.token next to its journal, or in its --admin-token-file)", postTokenEnv))
	}
	o := probe.PostOptions{URL: u.String(), Token: token, Scenario: scenario, Started: started,
		OnError: func(err error) {
			fmt.Fprintf(errOut, "warning: %v; the verdicts and the exit code are not affected\n", err)
		}}
	if h, err := os.Hostname(); err == nil {
		o.Prober = h
	}
	if u.Scheme == "https" {
		ca := f.ca
		switch {
		case ca != "":
		case pf.ca != "":
			ca = pf.ca
		default:
			ca = filepath.Join(pf.certDir, certs.CACertFile)
		}
		pool, err := certs.LoadPool(ca)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--post-ca: %w", err))
		}
		o.RootCAs, o.CAName = pool, ca
	}
	p, err := probe.NewPoster(o)
	if err != nil {
		return nil, usageErr(err)
	}
	return p, nil
}

// finishPost posts what is left and says, on errOut, how many posts failed beyond the first
// (already reported).
func finishPost(p *probe.Poster, url string, errOut io.Writer) {
	if p == nil {
		return
	}
	st := p.Close()
	if st.Failed > 1 {
		fmt.Fprintf(errOut, "warning: %d of %d posts to %s failed (the first is above)\n", st.Failed, st.Posts, url)
	}
}
