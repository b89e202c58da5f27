package probe

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Run runs the jobs on a bounded pool of workers, each check bounded by its job's timeout, and
// streams every result on the returned channel as soon as it is known; the channel closes when
// all are done. Because checks run side by side, a matrix of filtered ports costs about one
// timeout, not one per port.
func Run(ctx context.Context, jobs []Job, concurrency int) <-chan Result {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	out := make(chan Result, len(jobs))
	work := make(chan *Job)
	var wg sync.WaitGroup
	for range min(concurrency, len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				out <- RunJob(ctx, j)
			}
		}()
	}
	go func() {
		for i := range jobs {
			select {
			case work <- &jobs[i]:
			case <-ctx.Done():
				out <- notRun(&jobs[i], ctx.Err())
			}
		}
		close(work)
		wg.Wait()
		close(out)
	}()
	return out
}

// RunJob runs one job, trying again up to its Retries when the expectation does not hold.
func RunJob(ctx context.Context, j *Job) Result {
	res := baseResult(j)
	if j.SkipReason != "" {
		res.Verdict, res.Observed, res.Reason = VerdictSkip, ObservedNotRun, fmt.Sprintf("%s %d to %s: %s", checkLabel(j.Check), j.Row.Port, j.Target, j.SkipReason)
		return res
	}
	checker, ok := Checkers[j.Check]
	if !ok {
		res.Verdict, res.Observed, res.Reason = VerdictFail, ObservedError, fmt.Sprintf("no check named %q", j.Check)
		return res
	}
	start := time.Now()
	for attempt := 0; attempt <= j.Retries; attempt++ {
		if ctx.Err() != nil {
			return notRun(j, ctx.Err())
		}
		cctx, cancel := context.WithTimeout(ctx, j.Budget())
		o := checker.Check(cctx, j)
		cancel()
		res.Attempts = attempt + 1
		res.Observed, res.TLSVersion = o.Observed, o.TLSVersion
		if o.Source != "" {
			res.Source = o.Source
		}
		res.Identity, res.ServerCert, res.Server = o.Identity, o.ServerCert, o.Server
		res.Chain, res.Lint, res.ALPN, res.QUICVersion = o.Chain, o.Lint, o.ALPN, o.QUICVersion
		if j.Hold > 0 {
			res.HoldMS = float64(j.Hold.Milliseconds())
			res.HeldMS = float64(o.Held.Microseconds()) / 1000
		}
		res.Verdict, res.Reason = judge(j, o)
		if res.Verdict == VerdictPass {
			break
		}
	}
	if res.Attempts > 1 {
		res.Reason += fmt.Sprintf(" (after %d attempts)", res.Attempts)
	}
	res.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	return res
}

func baseResult(j *Job) Result {
	r := Result{
		ID: j.Row.ID(), From: j.From, To: j.Row.To, Port: j.Row.Port, Transport: j.Row.Transport, Protocol: j.Row.Protocol,
		Check: j.Check, Target: j.Target, Expected: j.Row.Expect, Origin: j.Row.Origin, Index: j.Index,
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
	r.Verdict, r.Observed, r.Reason = VerdictSkip, ObservedNotRun, "not run: "+err.Error()
	return r
}
