package probe

import (
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// knowledge is what a run has learnt of its destinations: which ports each host is known to
// listen on, from the identities the mock answered with (its well-known document lists them).
// A deny row is judged against it: a refusal or a drop proves the path denies a port only when
// something listens there.
type knowledge struct {
	mu sync.Mutex
	// listens maps a target host to "tcp/444" -> who said so ("dir01.contoso.local, on the row ...").
	listens map[string]map[string]string
	// alive maps a target host to the first answer of this run that named mockdirector there
	// (a passed row, or a guard that answered): what --guards' word needs before a deny row
	// refused or dropped there passes.
	alive map[string]string
}

func newKnowledge() *knowledge {
	return &knowledge{listens: map[string]map[string]string{}, alive: map[string]string{}}
}

// sawMock records that the mock answered at the job's host, from a row that passed with its
// identity or from a guard that answered (a deny row's failure, but the mock's own answer).
func (k *knowledge) sawMock(j *Job, id *wire.Identity, v wire.Verdict) {
	if k == nil || id == nil || id.Service != wire.ServiceName || v != wire.VerdictPass && !id.Guard {
		return
	}
	host := targetHost(j)
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.alive[host]; !ok {
		k.alive[host] = fmt.Sprintf("%s %s answered on %s", id.Role, id.Member, j.Row.ID())
	}
}

// mockOn says who answered as mockdirector at the job's host in this run ("" when nothing
// did); known is false for a job run alone, which has no run to have seen anything in.
func (k *knowledge) mockOn(j *Job) (who string, known bool) {
	if k == nil {
		return "", false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.alive[targetHost(j)], true
}

// learn records what a result's identity says its member listens on.
func (k *knowledge) learn(j *Job, id *wire.Identity) {
	if k == nil || id == nil || len(id.Listening) == 0 {
		return
	}
	host := targetHost(j)
	k.mu.Lock()
	defer k.mu.Unlock()
	m := k.listens[host]
	if m == nil {
		m = map[string]string{}
		k.listens[host] = m
	}
	who := fmt.Sprintf("its identity on %s said so: %s %s", j.Row.ID(), id.Role, id.Member)
	for _, l := range id.Listening {
		if _, ok := m[l]; !ok {
			m[l] = who
		}
	}
}

// listener says who told that the job's destination listens on its port ("" when no one).
func (k *knowledge) listener(j *Job) string {
	if k == nil {
		return ""
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.listens[targetHost(j)][portKey(j)]
}

// targetHost and targetPort split the job's host:port (IPv6 safe).
func targetHost(j *Job) string {
	h, _, err := net.SplitHostPort(j.Target)
	if err != nil {
		return j.Target
	}
	return h
}

func targetPort(j *Job) int {
	_, p, err := net.SplitHostPort(j.Target)
	if err != nil {
		return j.Row.Port
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return j.Row.Port
	}
	return n
}
