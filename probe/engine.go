package probe

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mockdirector/mockdirector/internal/wire"
)

// Run runs the jobs on a bounded pool of workers, each check bounded by its job's timeout, and
// streams every result on the returned channel as soon as it is known; the channel closes when
// all are done. Because checks run side by side, a matrix of filtered ports costs about one
// timeout, not one per port.
//
// Deny rows run after the other rows (hold rows aside: they run alongside, not to hold the deny
// rows up for a whole hold): the answers of the allowed rows say which ports each destination
// listens on, and only a port known to listen proves that a refusal or a drop was the path's (a
// deny row of a port nothing listens on is unproven).
func Run(ctx context.Context, jobs []Job, concurrency int) <-chan Result {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	out := make(chan Result, len(jobs))
	k := newKnowledge()
	var holds, first, denies []*Job
	for i := range jobs {
		switch {
		case wire.Expect(jobs[i].Row.Expect).Denied():
			denies = append(denies, &jobs[i])
		case jobs[i].Hold > 0 && jobs[i].SkipReason == "":
			holds = append(holds, &jobs[i])
		default:
			first = append(first, &jobs[i])
		}
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		runPhase(ctx, holds, concurrency, k, out)
	}()
	go func() {
		defer wg.Done()
		for _, phase := range [][]*Job{first, denies} {
			runPhase(ctx, phase, concurrency, k, out)
		}
	}()
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// runPhase runs jobs on the worker pool and returns when all are done.
func runPhase(ctx context.Context, jobs []*Job, concurrency int, k *knowledge, out chan<- Result) {
	work := make(chan *Job)
	var wg sync.WaitGroup
	for range min(concurrency, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				out <- runJob(ctx, j, k)
			}
		}()
	}
	for _, j := range jobs {
		select {
		case work <- j:
		case <-ctx.Done():
			out <- notRun(j, ctx.Err())
		}
	}
	close(work)
	wg.Wait()
}

// RunJob runs one job, trying again up to its Retries when the expectation does not hold. Run
// alone, a deny row knows nothing of its destination: it passes only with Job.Guards.
func RunJob(ctx context.Context, j *Job) Result { return runJob(ctx, j, nil) }

func runJob(ctx context.Context, j *Job, k *knowledge) Result {
	res := baseResult(j)
	if j.SkipReason != "" {
		res.Verdict, res.Observed, res.Code = wire.VerdictSkip, wire.StateNotRun, wire.CodeNone
		res.detail = j.SkipReason
		res.Reason = fmt.Sprintf("%s %d to %s: %s", checkLabel(j.Check), j.Row.Port, j.Target, j.SkipReason)
		return res
	}
	checker, ok := Checkers[j.Check]
	if !ok {
		err := &UnsupportedCheckError{Check: j.Check}
		res.Verdict, res.Observed, res.Code, res.Reason = wire.VerdictFail, wire.StateError, wire.CodeUnsupported, err.Error()
		return res
	}
	start := time.Now()
	proved := "" // what a failed attempt proved, which ends the retries (proof)
	for attempt := 0; attempt <= j.Retries; attempt++ {
		if ctx.Err() != nil {
			return notRun(j, ctx.Err())
		}
		cctx, cancel := context.WithTimeout(ctx, j.Budget())
		o := checker.Check(cctx, j)
		cancel()
		res.Attempts = attempt + 1
		res.Observed, res.TLSVersion, res.Negotiated = o.Observed, o.TLSVersion, o.Negotiated
		if o.Source != "" {
			res.Source = o.Source
		}
		res.Identity, res.ServerCert, res.Server = o.Identity, o.ServerCert, o.Server
		res.Chain, res.Presented, res.Lint, res.ALPN, res.QUICVersion = o.Chain, o.Presented, o.Lint, o.ALPN, o.QUICVersion
		res.HLB = o.HLB
		if j.Hold > 0 {
			res.HoldMS = float64(j.Hold.Milliseconds())
			res.HeldMS = float64(o.Held.Microseconds()) / 1000
		}
		res.IdleCutoffMS = nil
		if o.Cutoff[1] > 0 {
			res.IdleCutoffMS = []float64{float64(o.Cutoff[0].Microseconds()) / 1000, float64(o.Cutoff[1].Microseconds()) / 1000}
		}
		k.learn(j, o.Identity)
		v, head := judge(j, o, k)
		k.sawMock(j, o.Identity, v.verdict)
		if ctx.Err() != nil && v.verdict != wire.VerdictFail {
			// The run was cancelled during the attempt: what it did not see (an answer, on a
			// deny row) may be the cancellation's doing, so it proves nothing.
			return notRun(j, ctx.Err())
		}
		res.Verdict, res.Code, res.detail = v.verdict, v.code, v.detail
		res.Reason = head + ": " + v.detail
		if res.Verdict == wire.VerdictPass {
			break
		}
		if proved = proof(j, o, v); proved != "" {
			break
		}
	}
	more := ""
	switch {
	case proved != "" && res.Attempts > 1:
		more = fmt.Sprintf(" (after %d attempts: attempt %d %s, which no retry can undo)", res.Attempts, res.Attempts, proved)
	case proved != "" && j.Retries > 0:
		more = fmt.Sprintf(" (not retried: the first attempt %s, which no retry can undo)", proved)
	case res.Attempts > 1:
		more = fmt.Sprintf(" (after %d attempts)", res.Attempts)
	}
	res.Reason += more
	res.detail += more
	res.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	return res
}

// proof says what a failed attempt proved ("" when nothing): retries are for transient
// failures (refused, filtered, a timeout, a local error), never to outlast a proof. Once an
// attempt connected on a deny row (a guard answering among them), completed the handshake of a
// handshake-fails row, showed a TLS interceptor's chain, or was answered by the wrong member,
// listener, role or source, the row has failed: a later attempt refused or timed out (an
// intermittently open firewall, a flapping pool) cannot undo it, and a pass on it would be a
// false green.
func proof(j *Job, o Observation, v verdictOf) string {
	if v.verdict != wire.VerdictFail {
		return ""
	}
	e := wire.Expect(j.Row.Expect)
	switch {
	case v.code == wire.CodeInterception:
		return "showed a TLS interceptor"
	case e.Denied() && o.Connected:
		return "proved the path open"
	case e == wire.ExpectHandshakeFails && o.Connected && !o.HandshakeFailed:
		return "completed the handshake"
	}
	switch v.code {
	case wire.CodeWrongMember, wire.CodeWrongListener, wire.CodeWrongRole, wire.CodeSourceMismatch:
		return fmt.Sprintf("got the wrong answer (%s)", v.code)
	}
	return ""
}

func baseResult(j *Job) Result {
	r := Result{
		ID: j.Row.ID(), From: j.From, To: j.Row.To, Port: j.Row.Port, Transport: wire.Transport(j.Row.Transport), Protocol: wire.Protocol(j.Row.Protocol),
		Check: j.Check, Target: j.Target, Expected: wire.Expect(j.Row.Expect), Origin: j.Row.Origin, Index: j.Index,
	}
	if j.Source.IsValid() {
		r.Source = j.Source.String()
	}
	if j.Row.Lint != nil {
		r.LintExpected = j.Row.Lint.String()
	}
	return r
}

func notRun(j *Job, err error) Result {
	r := baseResult(j)
	r.Verdict, r.Observed, r.Reason = wire.VerdictSkip, wire.StateNotRun, "not run: "+err.Error()
	r.detail = r.Reason
	return r
}
